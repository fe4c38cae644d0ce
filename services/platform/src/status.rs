//! Statuses stored as text, and the state machines they move in.
//!
//! [`text_status!`] declares an enum whose variants are stored (and serialized) as fixed
//! words, readable straight from a query row and writable as a query value. Each crate
//! then says which moves its machine allows in one function, [`StateMachine::can_move_to`],
//! and tests it with [`pairs_that_differ`], walking every pair of states.

/// A status stored as one word of text.
pub trait Status: Copy + Eq + std::fmt::Debug + 'static {
    /// Every state, in declaration order.
    const ALL: &'static [Self];
    /// The stored word.
    fn as_str(self) -> &'static str;
    /// The state a stored word names.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s2| s2.as_str() == s)
    }
}

/// A status with rules about where it may go next.
pub trait StateMachine: Status {
    /// Whether a row in `self` may move to `to`.
    fn can_move_to(self, to: Self) -> bool;

    /// The stored words of every state that may move to `to`: for a conditional update
    /// (`... WHERE status = ANY($n)`) that applies the rule in the same statement.
    fn sources(to: Self) -> Vec<String> {
        Self::ALL
            .iter()
            .filter(|from| from.can_move_to(to))
            .map(|from| from.as_str().to_owned())
            .collect()
    }
}

/// Walks every pair of states and returns those where the machine disagrees with
/// `allowed` (the moves a test expects, all others refused), as `from -> to: got`.
pub fn pairs_that_differ<S: StateMachine>(allowed: &[(S, S)]) -> Vec<String> {
    let mut wrong = Vec::new();
    for &from in S::ALL {
        for &to in S::ALL {
            let expected = allowed.contains(&(from, to));
            let got = from.can_move_to(to);
            if got != expected {
                wrong.push(format!("{from:?} -> {to:?}: allowed = {got}"));
            }
        }
    }
    wrong
}

/// Declares a status enum stored as text: `Serialize`/`Deserialize`/`ToSchema` as the
/// stored words, [`Status`], `Display`, a query value and a column type for
/// `FromQueryResult` rows.
#[macro_export]
macro_rules! text_status {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $crate::status::Status for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $name {
            /// The stored word.
            pub fn as_str(self) -> &'static str {
                $crate::status::Status::as_str(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::sea_orm::DbErr;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::status::Status>::parse(s).ok_or_else(|| {
                    ::sea_orm::DbErr::Type(format!("{s:?} is not a {}", stringify!($name)))
                })
            }
        }

        impl From<$name> for ::sea_orm::Value {
            fn from(s: $name) -> Self {
                s.as_str().into()
            }
        }

        impl From<$name> for String {
            fn from(s: $name) -> Self {
                s.as_str().to_owned()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }

        impl ::sea_orm::TryGetable for $name {
            fn try_get_by<I: ::sea_orm::ColIdx>(
                res: &::sea_orm::QueryResult,
                index: I,
            ) -> Result<Self, ::sea_orm::TryGetError> {
                let s = <String as ::sea_orm::TryGetable>::try_get_by(res, index)?;
                s.parse().map_err(::sea_orm::TryGetError::DbErr)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    text_status! {
        enum Light { Red = "red", Green = "green", Amber = "amber" }
    }

    impl StateMachine for Light {
        fn can_move_to(self, to: Self) -> bool {
            matches!(
                (self, to),
                (Light::Red, Light::Green)
                    | (Light::Green, Light::Amber)
                    | (Light::Amber, Light::Red)
            )
        }
    }

    #[test]
    fn words_round_trip_and_serialize_as_stored() {
        for &s in Light::ALL {
            assert_eq!(Light::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(Light::parse("blue"), None);
        assert!("blue".parse::<Light>().is_err());
    }

    #[test]
    fn a_wrong_expectation_is_reported() {
        use Light::*;
        assert!(pairs_that_differ(&[(Red, Green), (Green, Amber), (Amber, Red)]).is_empty());
        assert_eq!(
            pairs_that_differ(&[(Red, Green), (Green, Amber)]),
            ["Amber -> Red: allowed = true"]
        );
        assert_eq!(Light::sources(Red), ["amber"]);
    }
}
