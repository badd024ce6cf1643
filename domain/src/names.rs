//! `names!`: the stored and transmitted names of an enumeration's values, written once beside
//! the enumeration.

/// Gives an enumeration `ALL` (its values in a stable order), `as_str` and `from_name`.
macro_rules! names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in a stable order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            /// The stored and transmitted name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
            /// The value of this name, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
