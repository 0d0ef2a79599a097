//! A serde `Deserializer` over the `(name, value)` captures of a subject.
//!
//! One capture deserializes as a single value; several as a tuple / sequence (in
//! order) or a struct / map (by name). Values parse with `FromStr` for numbers and
//! booleans, so `Path<u64>` works on `orders.{id}`.

use serde::de::value::{BorrowedStrDeserializer, Error};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;

pub(super) struct PathDeserializer<'a> {
    captures: &'a [(&'a str, &'a str)],
}

impl<'a> PathDeserializer<'a> {
    pub(super) fn new(captures: &'a [(&'a str, &'a str)]) -> Self {
        Self { captures }
    }

    #[inline]
    fn single(&self) -> Result<ValueDeserializer<'a>, Error> {
        match self.captures {
            [(_, value)] => Ok(ValueDeserializer(value)),
            other => Err(de::Error::custom(format!(
                "expected 1 capture, the subject has {}",
                other.len()
            ))),
        }
    }
}

macro_rules! forward_to_single {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.single()?.$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for PathDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.captures {
            [(_, value)] => ValueDeserializer(value).deserialize_any(visitor),
            _ => self.deserialize_map(visitor),
        }
    }

    forward_to_single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.single()?.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Values(self.captures.iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        if len != self.captures.len() {
            return Err(de::Error::invalid_length(self.captures.len(), &visitor));
        }
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Captures {
            captures: self.captures.iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

struct Values<'a>(std::slice::Iter<'a, (&'a str, &'a str)>);

impl<'de> SeqAccess<'de> for Values<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|(_, value)| seed.deserialize(ValueDeserializer(value)))
            .transpose()
    }
}

struct Captures<'a> {
    captures: std::slice::Iter<'a, (&'a str, &'a str)>,
    value: Option<&'a str>,
}

impl<'de> MapAccess<'de> for Captures<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, value)) = self.captures.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("capture value asked before its name"))?;
        seed.deserialize(ValueDeserializer(value))
    }
}

/// One capture's text.
struct ValueDeserializer<'a>(&'a str);

macro_rules! parse_value {
    ($($method:ident => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse() {
                Ok(value) => visitor.$visit(value),
                Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    parse_value! {
        deserialize_bool => visit_bool,
        deserialize_i8 => visit_i8, deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32, deserialize_i64 => visit_i64,
        deserialize_i128 => visit_i128,
        deserialize_u8 => visit_u8, deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32, deserialize_u64 => visit_u64,
        deserialize_u128 => visit_u128,
        deserialize_f32 => visit_f32, deserialize_f64 => visit_f64,
        deserialize_char => visit_char,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0
            .into_deserializer()
            .deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    fn decode<T: for<'de> Deserialize<'de>>(captures: &[(&str, &str)]) -> Result<T, Error> {
        T::deserialize(PathDeserializer::new(captures))
    }

    #[test]
    fn single_values_parse() {
        assert_eq!(decode::<String>(&[("region", "eu")]).expect("string"), "eu");
        assert_eq!(decode::<u64>(&[("id", "42")]).expect("number"), 42);
        assert!(decode::<u64>(&[("id", "abc")]).is_err());
        assert!(decode::<String>(&[("a", "1"), ("b", "2")]).is_err());
    }

    #[test]
    fn tuples_and_structs() {
        let (region, id): (String, u32) = decode(&[("region", "eu"), ("id", "7")]).expect("tuple");
        assert_eq!((region.as_str(), id), ("eu", 7));
        assert!(decode::<(String, u32, u8)>(&[("region", "eu"), ("id", "7")]).is_err());

        #[derive(Deserialize, Debug, PartialEq)]
        struct Order {
            id: u32,
            region: String,
        }
        let order: Order = decode(&[("region", "eu"), ("id", "7")]).expect("struct");
        assert_eq!(
            order,
            Order {
                id: 7,
                region: "eu".into()
            }
        );
    }

    #[test]
    fn enums_and_options() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "lowercase")]
        enum Region {
            Eu,
            Us,
        }
        assert_eq!(decode::<Region>(&[("r", "us")]).expect("enum"), Region::Us);
        assert!(decode::<Region>(&[("r", "mars")]).is_err());
        assert_eq!(
            decode::<Option<u8>>(&[("n", "3")]).expect("option"),
            Some(3)
        );
    }
}
