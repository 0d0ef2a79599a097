//! The measuring environment: one nats-server (spawned, or `NATS_URL`), sizes per
//! mode, client and broker factories with room for every message, and rounds that
//! alternate raw and framework runs.

use std::time::Duration;

use faststream_kv::testing::NatsServer;
use faststream_kv::{Broker, ConnectOptions};

use crate::Result;
use crate::report::Rounds;

/// How much work each scenario does.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Messages per pubsub-style run.
    pub messages: usize,
    /// Messages per run whose handler talks to KV (a round trip each).
    pub kv_messages: usize,
    /// Sequential requests per rpc run.
    pub rpc_requests: usize,
    /// Timed `kv::View::get` calls.
    pub view_reads: usize,
    /// Keys of the bucket `kv_watch_initial` watches.
    pub watch_keys: usize,
    /// Messages per run of the stream scenarios (`js_*`).
    pub js_messages: usize,
    /// Messages per run of `js_workers`, whose handlers wait 1 ms each.
    pub js_worker_messages: usize,
    /// Rounds per throughput scenario; raw and framework alternate within each.
    pub rounds: usize,
    /// Rounds per round-trip scenario (`rpc`, `kv_get`, `kv_put`). Many short ones: a
    /// round trip's time moves with the machine's speed phases, and the two runs of a
    /// short round see nearly the same phase.
    pub round_trip_rounds: usize,
    /// Whether targets are judged (not in the correctness pass: its sizes are too small
    /// to time).
    pub judge: bool,
    /// Run only one side (for profiling it): `Some(true)` raw, `Some(false)` framework.
    pub only_raw: Option<bool>,
    /// Print every round's figures to stderr.
    pub verbose: bool,
}

impl Settings {
    /// The full run, for the README's table.
    pub fn full() -> Self {
        Self {
            messages: 500_000,
            kv_messages: 500,
            rpc_requests: 500,
            view_reads: 1_000_000,
            watch_keys: 100_000,
            js_messages: 100_000,
            js_worker_messages: 20_000,
            rounds: 31,
            round_trip_rounds: 151,
            judge: true,
            only_raw: None,
            verbose: false,
        }
    }

    /// Every scenario in well under a minute (about 15 s on a 2-core machine).
    pub fn quick() -> Self {
        Self {
            messages: 100_000,
            kv_messages: 200,
            rpc_requests: 200,
            view_reads: 200_000,
            watch_keys: 20_000,
            js_messages: 20_000,
            js_worker_messages: 4_000,
            rounds: 5,
            round_trip_rounds: 25,
            judge: true,
            only_raw: None,
            verbose: false,
        }
    }

    /// A tiny pass that checks every scenario still runs and counts right.
    pub fn check() -> Self {
        Self {
            messages: 300,
            kv_messages: 50,
            rpc_requests: 50,
            view_reads: 1_000,
            watch_keys: 500,
            js_messages: 300,
            js_worker_messages: 200,
            rounds: 1,
            round_trip_rounds: 1,
            judge: false,
            only_raw: None,
            verbose: false,
        }
    }

    /// How long a run may take before it counts as having lost messages.
    pub fn deadline(&self) -> Duration {
        Duration::from_secs(60)
    }
}

/// The server and the sizes every scenario shares.
pub struct Bench {
    /// The sizes.
    pub settings: Settings,
    url: String,
    _server: Option<NatsServer>,
    publisher: async_nats::Client,
}

impl Bench {
    /// Connects to `$NATS_URL`, or spawns a nats-server with JetStream for this run.
    pub async fn start(settings: Settings) -> Result<Self> {
        match std::env::var("NATS_URL") {
            Ok(url) if !url.trim().is_empty() => Self::with_server(settings, url, None).await,
            _ => Self::spawn(settings).await,
        }
    }

    /// Spawns a nats-server with JetStream for this run (on a free port, with its own
    /// store directory; stopped when the bench is dropped).
    pub async fn spawn(settings: Settings) -> Result<Self> {
        let server = NatsServer::start()?;
        Self::with_server(settings, server.url(), Some(server)).await
    }

    async fn with_server(
        settings: Settings,
        url: String,
        server: Option<NatsServer>,
    ) -> Result<Self> {
        let publisher = async_nats::connect(&url).await?;
        Ok(Self {
            settings,
            publisher,
            url,
            _server: server,
        })
    }

    /// Room for every message a run sends, so that no side drops one.
    fn capacity(&self) -> usize {
        self.settings.messages * 2 + 1024
    }

    /// A raw client for the consuming side.
    pub async fn raw_client(&self) -> Result<async_nats::Client> {
        Ok(async_nats::ConnectOptions::new()
            .subscription_capacity(self.capacity())
            .connect(&self.url)
            .await?)
    }

    /// A framework broker for the consuming side, with the same capacity.
    pub fn broker(&self) -> Broker {
        Broker::nats(ConnectOptions::new(&self.url).subscription_capacity(self.capacity()))
    }

    /// The NATS URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The raw client that publishes the load, shared by both sides.
    pub fn publisher(&self) -> &async_nats::Client {
        &self.publisher
    }

    /// Runs `raw` and `framework` alternately for the throughput scenarios' rounds,
    /// after a warm-up round when figures are judged.
    pub async fn rounds(
        &self,
        raw: impl AsyncFnMut(&Bench) -> Result<f64>,
        framework: impl AsyncFnMut(&Bench) -> Result<f64>,
    ) -> Result<Rounds> {
        self.alternate(self.settings.rounds, raw, framework).await
    }

    /// [`rounds`](Self::rounds) for the round-trip scenarios' rounds.
    pub async fn round_trip_rounds(
        &self,
        raw: impl AsyncFnMut(&Bench) -> Result<f64>,
        framework: impl AsyncFnMut(&Bench) -> Result<f64>,
    ) -> Result<Rounds> {
        self.alternate(self.settings.round_trip_rounds, raw, framework)
            .await
    }

    async fn alternate(
        &self,
        rounds: usize,
        mut raw: impl AsyncFnMut(&Bench) -> Result<f64>,
        mut framework: impl AsyncFnMut(&Bench) -> Result<f64>,
    ) -> Result<Rounds> {
        let runs = |side_is_raw: bool| {
            self.settings
                .only_raw
                .is_none_or(|only_raw| only_raw == side_is_raw)
        };
        let mut pairs = Vec::with_capacity(rounds);
        // A first round whose figures are dropped, when figures are judged: the first
        // runs of a process pay for memory the allocator does not have yet (a
        // subscription's queue grows to every message of a run).
        let warm_up = usize::from(self.settings.judge);
        for round in 0..warm_up + rounds {
            let (mut raw_figure, mut framework_figure) = (f64::NAN, f64::NAN);
            // Alternate who goes first so warm-up effects do not favour one side.
            let raw_first = round % 2 == 0;
            for side_is_raw in [raw_first, !raw_first] {
                if !runs(side_is_raw) {
                    continue;
                }
                if side_is_raw {
                    raw_figure = raw(self).await.map_err(|error| format!("raw: {error}"))?;
                } else {
                    framework_figure = framework(self)
                        .await
                        .map_err(|error| format!("framework: {error}"))?;
                }
            }
            if self.settings.verbose {
                eprintln!(
                    "round={round}{} raw={raw_figure:.1} framework={framework_figure:.1} ratio={:.3}",
                    if round < warm_up { " (warm-up)" } else { "" },
                    framework_figure / raw_figure,
                );
            }
            if round >= warm_up {
                pairs.push((raw_figure, framework_figure));
            }
        }
        Ok(Rounds::of(&pairs))
    }
}
