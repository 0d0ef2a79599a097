//! Learns the shape a `Path<T>` target needs without building a `T`: its `Deserialize`
//! impl tells a recording deserializer whether it wants a struct (and which fields), a
//! tuple (and how long), a map, or one value. Used at startup to check the pattern.

use std::cell::Cell;

use serde::de::value::Error;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::extract::PathShape;

/// The shape `T` asks its deserializer for.
pub(super) fn shape_of<T: for<'de> Deserialize<'de>>() -> PathShape {
    let shape = Cell::new(None);
    // The probe always stops the deserialization with an error once it has seen the shape.
    let _ = T::deserialize(Probe { shape: &shape });
    shape.get().unwrap_or(PathShape::Any)
}

struct Probe<'a> {
    shape: &'a Cell<Option<PathShape>>,
}

impl Probe<'_> {
    fn record<T>(self, shape: PathShape) -> Result<T, Error> {
        self.shape.set(Some(shape));
        Err(de::Error::custom("shape probed"))
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        self.record(PathShape::Single)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        self.record(PathShape::Any)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        self.record(PathShape::Any)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(PathShape::Tuple(len))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(PathShape::Tuple(len))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(PathShape::Fields(fields))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[test]
    fn shapes() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Order {
            region: String,
            id: u64,
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Region(String);

        assert_eq!(shape_of::<String>(), PathShape::Single);
        assert_eq!(shape_of::<u32>(), PathShape::Single);
        assert_eq!(shape_of::<Region>(), PathShape::Single);
        assert_eq!(shape_of::<(String, u32)>(), PathShape::Tuple(2));
        assert_eq!(shape_of::<Order>(), PathShape::Fields(&["region", "id"]));
        assert_eq!(
            shape_of::<std::collections::HashMap<String, String>>(),
            PathShape::Any
        );
    }
}
