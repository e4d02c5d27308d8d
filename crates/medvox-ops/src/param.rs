//! Op parameters: one serde struct per op, described for the CLI, `medvox ops`
//! and pipeline validation.
//!
//! [`params!`](crate::params) declares the struct, its defaults (the only place
//! they are written) and its documentation in one go; [`ParamType`] says how a
//! field is written on the command line; [`Triple`] is "one value or `x,y,z`".

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a parameter is typed (for `medvox ops`, the generated CLI and error messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "of", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ParamKind {
    /// `true`/`false`; a flag on the command line.
    Bool,
    /// A signed integer.
    Int,
    /// An unsigned integer.
    UInt,
    /// A real number.
    Float,
    /// Free text.
    Text,
    /// One of a fixed set of names.
    Choice(Vec<&'static str>),
    /// One value for every axis or three values `x,y,z`.
    Triple(Box<ParamKind>),
    /// Any number of values (a repeatable option on the command line).
    List(Box<ParamKind>),
    /// May be left out (no default value).
    Optional(Box<ParamKind>),
}

impl ParamKind {
    /// A short description: `float`, `triple of uint`, `one of ball|box`…
    pub fn describe(&self) -> String {
        match self {
            ParamKind::Bool => "bool".into(),
            ParamKind::Int => "integer".into(),
            ParamKind::UInt => "unsigned integer".into(),
            ParamKind::Float => "number".into(),
            ParamKind::Text => "text".into(),
            ParamKind::Choice(c) => format!("one of {}", c.join("|")),
            ParamKind::Triple(k) => format!("{} or three (x,y,z)", k.describe()),
            ParamKind::List(k) => format!("list of {}", k.describe()),
            ParamKind::Optional(k) => k.describe(),
        }
    }

    /// Whether the command line takes it as a flag without a value.
    pub fn is_flag(&self) -> bool {
        matches!(self, ParamKind::Bool)
    }

    /// Whether the option may be repeated on the command line.
    pub fn is_list(&self) -> bool {
        matches!(self, ParamKind::List(_))
    }

    /// Parses one command-line value into JSON for serde (lists: one element).
    pub fn parse_cli(&self, s: &str) -> std::result::Result<Value, String> {
        let num = |s: &str| -> std::result::Result<Value, String> {
            let t = s.trim();
            match self.scalar() {
                ParamKind::Int => t
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|e| format!("`{t}`: {e}")),
                ParamKind::UInt => t
                    .parse::<u64>()
                    .map(Value::from)
                    .map_err(|e| format!("`{t}`: {e}")),
                _ => t
                    .parse::<f64>()
                    .map_err(|e| format!("`{t}`: {e}"))
                    .and_then(|x| {
                        serde_json::Number::from_f64(x)
                            .map(Value::Number)
                            .ok_or_else(|| format!("`{t}` is not a finite number"))
                    }),
            }
        };
        match self {
            ParamKind::Bool => s
                .parse::<bool>()
                .map(Value::Bool)
                .map_err(|e| format!("`{s}`: {e}")),
            ParamKind::Int | ParamKind::UInt | ParamKind::Float => num(s),
            ParamKind::Text => Ok(Value::String(s.into())),
            ParamKind::Choice(c) => {
                if c.contains(&s) {
                    Ok(Value::String(s.into()))
                } else {
                    Err(format!("`{s}` is not one of {}", c.join(", ")))
                }
            }
            ParamKind::Triple(k) => {
                let v = s
                    .split(',')
                    .map(|p| k.parse_cli(p.trim()))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                match v.len() {
                    1 | 3 => Ok(Value::Array(v)),
                    n => Err(format!("expected one value or three (x,y,z), got {n}")),
                }
            }
            ParamKind::List(k) | ParamKind::Optional(k) => k.parse_cli(s),
        }
    }

    fn scalar(&self) -> &ParamKind {
        match self {
            ParamKind::Triple(k) | ParamKind::List(k) | ParamKind::Optional(k) => k.scalar(),
            k => k,
        }
    }
}

/// A Rust type usable as a parameter field.
pub trait ParamType {
    /// How it is written.
    fn kind() -> ParamKind;
}

macro_rules! param_type {
    ($kind:ident: $($t:ty),*) => {$(
        impl ParamType for $t {
            fn kind() -> ParamKind {
                ParamKind::$kind
            }
        }
    )*};
}
param_type!(Bool: bool);
param_type!(Int: i8, i16, i32, i64, isize);
param_type!(UInt: u8, u16, u32, u64, usize);
param_type!(Float: f32, f64);
param_type!(Text: String);

impl<T: ParamType> ParamType for Option<T> {
    fn kind() -> ParamKind {
        ParamKind::Optional(Box::new(T::kind()))
    }
}

impl<T: ParamType> ParamType for Vec<T> {
    fn kind() -> ParamKind {
        ParamKind::List(Box::new(T::kind()))
    }
}

impl<T: ParamType> ParamType for Triple<T> {
    fn kind() -> ParamKind {
        ParamKind::Triple(Box::new(T::kind()))
    }
}

impl ParamType for medvox_core::PixelType {
    fn kind() -> ParamKind {
        ParamKind::Choice(
            medvox_core::PixelType::ALL
                .iter()
                .map(|t| t.name())
                .collect(),
        )
    }
}

/// One value for every axis or three values `[x, y, z]`: `radius = 2` and
/// `radius = [1, 1, 2]` in TOML, `--radius 2` and `--radius 1,1,2` on the command
/// line. Serialised as `[x, y, z]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Triple<T>(pub [T; 3]);

impl<T: Copy> Triple<T> {
    /// The same value on every axis.
    pub const fn all(v: T) -> Self {
        Triple([v, v, v])
    }
}

impl<'de, T: Deserialize<'de> + Copy> Deserialize<'de> for Triple<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrThree<T> {
            One(T),
            Many(Vec<T>),
        }
        match OneOrThree::<T>::deserialize(d)? {
            OneOrThree::One(v) => Ok(Triple([v; 3])),
            OneOrThree::Many(v) if v.len() == 1 => Ok(Triple([v[0]; 3])),
            OneOrThree::Many(v) if v.len() == 3 => Ok(Triple([v[0], v[1], v[2]])),
            OneOrThree::Many(v) => Err(serde::de::Error::custom(format!(
                "expected one value or three (x, y, z), got {}",
                v.len()
            ))),
        }
    }
}

/// One parameter of an op, as `medvox ops` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamInfo {
    /// Name in TOML and serde (`sigma_voxels`); the command line writes it with
    /// `-` for `_` (`--sigma-voxels`).
    pub name: &'static str,
    /// Its type.
    pub kind: ParamKind,
    /// Default value (`null`: none, the parameter may be left out or is
    /// required by the op's own validation).
    pub default: Value,
    /// What it means (units included).
    pub doc: String,
    /// Extra command-line spellings (`2d` for `slice_by_slice`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<&'static str>,
}

impl ParamInfo {
    /// The command-line option name (`sigma-voxels`).
    pub fn cli_name(&self) -> String {
        self.name.replace('_', "-")
    }
}

/// A parameter struct that can list its fields ([`params!`](crate::params) implements it).
pub trait Describe {
    /// Every field, in declaration order.
    fn describe() -> Vec<ParamInfo>;
}

/// Declares an op's parameter struct: fields with their type, default and doc,
/// in one place. The struct derives `Serialize`/`Deserialize` (every field has a
/// default, unknown fields are refused), `Default`, and [`Describe`].
///
/// The crate using it needs `serde` (with `derive`) as a dependency.
///
/// ```
/// medvox_ops::params! {
///     /// Parameters of `median`.
///     pub struct MedianOpParams {
///         /// Radius in voxels: one value or x,y,z (the box is 2r+1 wide).
///         radius: medvox_ops::Triple<usize> = medvox_ops::Triple::all(1),
///         /// Alias example: `--2d` on the command line.
///         [alias "2d"] slice_by_slice: bool = false,
///     }
/// }
/// use medvox_ops::Describe;
/// let p: MedianOpParams = serde_json::from_str(r#"{"radius": 2}"#).unwrap();
/// assert_eq!(p.radius.0, [2, 2, 2]);
/// assert_eq!(MedianOpParams::describe()[0].name, "radius");
/// assert_eq!(MedianOpParams::describe()[1].aliases, ["2d"]);
/// ```
#[macro_export]
macro_rules! params {
    (
        $(#[doc = $sdoc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $([alias $alias:literal])?
                $field:ident : $ty:ty = $default:expr
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $crate::Describe for $name {
            fn describe() -> ::std::vec::Vec<$crate::ParamInfo> {
                let _d = <Self as ::std::default::Default>::default();
                ::std::vec![$(
                    $crate::ParamInfo {
                        name: ::std::stringify!($field),
                        kind: <$ty as $crate::ParamType>::kind(),
                        default: $crate::serde_json::to_value(&_d.$field)
                            .unwrap_or($crate::serde_json::Value::Null),
                        doc: [$($doc),*].iter().map(|s: &&str| s.trim()).collect::<::std::vec::Vec<_>>().join(" "),
                        aliases: ::std::vec![$($alias)?],
                    }
                ),*]
            }
        }
    };
}

/// Declares a parameter enum of fixed names (kebab-case in serde, TOML and on the
/// command line) with a [`ParamType`] of [`ParamKind::Choice`].
///
/// ```
/// medvox_ops::choice! {
///     /// Structuring element.
///     pub enum KernelArg { Ball = "ball", Box = "box" }
/// }
/// assert_eq!(serde_json::to_string(&KernelArg::Box).unwrap(), "\"box\"");
/// ```
#[macro_export]
macro_rules! choice {
    (
        $(#[doc = $sdoc:literal])*
        pub enum $name:ident { $( $(#[doc = $doc:literal])* $var:ident = $s:literal ),* $(,)? }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[doc = $doc])* #[serde(rename = $s)] $var, )*
        }

        impl $crate::ParamType for $name {
            fn kind() -> $crate::ParamKind {
                $crate::ParamKind::Choice(::std::vec![$($s),*])
            }
        }
    };
}
