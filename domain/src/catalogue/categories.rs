//! Categories: a tree that arranges products, such as 鞋类 › 跑步鞋. A category sits under at
//! most one parent, never under itself or one of its own descendants, and no deeper than
//! [`MAX_DEPTH`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{FieldError, FieldErrors};

/// The most levels the tree has: a top-level category is at level 1.
pub const MAX_DEPTH: usize = 8;

/// The fields a category list can be sorted by.
pub const SORTABLE: &[&str] = &["name", "created_at", "updated_at"];

/// A category as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Identifier.
    pub id: Uuid,
    /// Name; unique among its siblings.
    pub name: String,
    /// A few words about it.
    pub description: Option<String>,
    /// The category it sits under; `None` at the top.
    pub parent_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A category about to be created, as sent; [`NewCategory::parse`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCategory {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The parent; `None` for a top-level category.
    pub parent_id: Option<Uuid>,
}

/// A partial change: `None` leaves a part alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryChanges {
    /// Name.
    pub name: Option<String>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// A move: `Some(Some(parent))` under another category, `Some(None)` to the top.
    pub parent_id: Option<Option<Uuid>>,
}

/// Why a category cannot sit where it was asked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misplacement {
    /// The parent is the category itself or one of its descendants.
    Cycle,
    /// The category, or its deepest descendant, would sit below [`MAX_DEPTH`].
    TooDeep,
}

impl Misplacement {
    /// The field error of a placement that is too deep (a cycle is a conflict, not a mistake in
    /// one field).
    pub fn too_deep() -> FieldError {
        FieldError::new(
            "parent_id",
            "too_deep",
            format!("categories nest at most {MAX_DEPTH} levels deep"),
        )
    }
}

/// Checks that a category (`moving`, when it exists already, with a subtree `height` levels tall,
/// 1 for a leaf) may sit under the parent whose chain of ancestors is `parent_chain`: the parent
/// first, then its parent, up to the top.
pub fn check_placement(
    moving: Option<Uuid>,
    parent_chain: &[Uuid],
    height: usize,
) -> Result<(), Misplacement> {
    if moving.is_some_and(|id| parent_chain.contains(&id)) {
        return Err(Misplacement::Cycle);
    }
    if parent_chain.len() + height > MAX_DEPTH {
        return Err(Misplacement::TooDeep);
    }
    Ok(())
}

impl NewCategory {
    /// Checks every part, reporting every mistake; the name is trimmed.
    pub fn parse(self) -> Result<NewCategory, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, description) =
            super::labels(&mut errors, &self.name, self.description.as_deref());
        errors.into_result(|| NewCategory {
            name,
            description,
            parent_id: self.parent_id,
        })
    }

    /// The stored category this becomes.
    pub fn into_category(self, id: Uuid, now: DateTime<Utc>) -> Category {
        Category {
            id,
            name: self.name,
            description: self.description,
            parent_id: self.parent_id,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl CategoryChanges {
    /// Checks every part that is present, reporting every mistake.
    pub fn parse(self) -> Result<CategoryChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, description) = super::label_changes(
            &mut errors,
            self.name.as_deref(),
            self.description.as_ref().map(Option::as_deref),
        );
        errors.into_result(|| CategoryChanges {
            name,
            description,
            parent_id: self.parent_id,
        })
    }
}

impl Category {
    /// The category after checked `changes` at `now`; the version moves on only when something
    /// changed. Where it may move is [`check_placement`]'s to say.
    pub fn apply(&self, changes: CategoryChanges, now: DateTime<Utc>) -> Category {
        let mut next = self.clone();
        if let Some(name) = changes.name {
            next.name = name;
        }
        if let Some(description) = changes.description {
            next.description = description;
        }
        if let Some(parent_id) = changes.parent_id {
            next.parent_id = parent_id;
        }
        if next != *self {
            next.updated_at = now;
            next.version = self.version + 1;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    #[test]
    fn a_category_cannot_sit_under_itself_or_its_descendants() {
        let chain = ids(3);
        assert_eq!(
            check_placement(Some(Uuid::from_u128(1)), &chain, 1),
            Err(Misplacement::Cycle)
        );
        assert_eq!(
            check_placement(Some(Uuid::from_u128(3)), &chain, 1),
            Err(Misplacement::Cycle)
        );
        assert_eq!(check_placement(Some(Uuid::from_u128(9)), &chain, 1), Ok(()));
        assert_eq!(check_placement(None, &[], 1), Ok(()));
    }

    #[test]
    fn the_deepest_descendant_counts_against_the_depth() {
        let chain = ids(MAX_DEPTH as u128 - 2);
        assert_eq!(check_placement(None, &chain, 2), Ok(()));
        assert_eq!(check_placement(None, &chain, 3), Err(Misplacement::TooDeep));
        assert_eq!(
            check_placement(None, &ids(MAX_DEPTH as u128), 1),
            Err(Misplacement::TooDeep)
        );
    }

    #[test]
    fn a_move_is_a_change_and_staying_put_is_not() {
        let now = Utc::now();
        let category = NewCategory {
            name: " 跑步鞋 ".into(),
            description: None,
            parent_id: None,
        }
        .parse()
        .unwrap()
        .into_category(Uuid::nil(), now);
        assert_eq!(category.name, "跑步鞋");
        let stay = category.apply(
            CategoryChanges {
                parent_id: Some(None),
                ..CategoryChanges::default()
            },
            now,
        );
        assert_eq!(stay.version, 1);
        let moved = category.apply(
            CategoryChanges {
                parent_id: Some(Some(Uuid::from_u128(7))),
                ..CategoryChanges::default()
            },
            now,
        );
        assert_eq!(
            (moved.parent_id, moved.version),
            (Some(Uuid::from_u128(7)), 2)
        );
    }
}
