//! `mirror!`: the conversions both ways between a wire enumeration (with its documentation and
//! schema) and the domain enumeration of the same values.

/// Converts each named value of `$wire` to the same-named value of `$domain`, and back.
macro_rules! mirror {
    ($wire:ident <=> $domain:ident { $($v:ident),+ }) => {
        impl From<$wire> for $domain { fn from(w: $wire) -> Self { match w { $($wire::$v => $domain::$v),+ } } }
        impl From<$domain> for $wire { fn from(d: $domain) -> Self { match d { $($domain::$v => $wire::$v),+ } } }
    };
}
