//! Pipelines: the ordered stages a deal moves through on its way to being won, each with the
//! chance that a deal in it is won.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::name;
use crate::{FieldError, FieldErrors};

/// The most stages a pipeline has.
pub const MAX_STAGES: usize = 20;
/// The longest pipeline or stage name, in characters.
pub const MAX_NAME: usize = 100;

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// The chance, in percent, that a deal in it is won.
    pub probability: i16,
    /// Its place, from 0.
    pub position: i16,
}

/// A pipeline as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Identifier.
    pub id: Uuid,
    /// What it is called; unique.
    pub name: String,
    /// Its stages, in order.
    pub stages: Vec<Stage>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Pipeline {
    /// The stage with this id, if it is one of the pipeline's.
    pub fn stage(&self, id: Uuid) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }
}

/// A stage as sent: an existing one keeps its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInput {
    /// The stage kept, when it exists already.
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Chance of winning, 0 to 100.
    pub probability: i16,
}

/// Checks a pipeline's stages, reporting every mistake, and gives each its place. A new stage
/// has the nil id until it is stored.
pub fn check_stages(inputs: Vec<StageInput>) -> Result<Vec<Stage>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if inputs.is_empty() || inputs.len() > MAX_STAGES {
        errors.push(FieldError::new(
            "stages",
            "invalid_length",
            format!("must have 1 to {MAX_STAGES} stages"),
        ));
    }
    let mut stages = Vec::with_capacity(inputs.len());
    let mut names = std::collections::HashSet::new();
    let mut ids = std::collections::HashSet::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let field = |part: &str| format!("stages[{i}].{part}");
        let stage_name = errors
            .take(name(&field("name"), &input.name, 1, MAX_NAME))
            .unwrap_or_default();
        if !stage_name.is_empty() && !names.insert(stage_name.to_lowercase()) {
            errors.push(FieldError::new(
                field("name"),
                "duplicate",
                "another stage of the pipeline has this name",
            ));
        }
        if !(0..=100).contains(&input.probability) {
            errors.push(FieldError::new(
                field("probability"),
                "out_of_range",
                "must be between 0 and 100",
            ));
        }
        if let Some(id) = input.id
            && !ids.insert(id)
        {
            errors.push(FieldError::new(
                field("id"),
                "duplicate",
                "the stage is listed twice",
            ));
        }
        stages.push(Stage {
            id: input.id.unwrap_or(Uuid::nil()),
            name: stage_name,
            probability: input.probability,
            position: i16::try_from(i).unwrap_or(i16::MAX),
        });
    }
    errors.into_result(|| stages)
}

/// Checks a pipeline's name.
pub fn check_name(value: &str) -> Result<String, FieldError> {
    name("name", value, 1, MAX_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, probability: i16) -> StageInput {
        StageInput {
            id: None,
            name: name.into(),
            probability,
        }
    }

    #[test]
    fn stages_are_named_once_with_a_chance_between_0_and_100() {
        let refused = check_stages(vec![
            input("Qualified", 20),
            input("qualified", 120),
            input(" ", 10),
        ])
        .unwrap_err();
        let found: Vec<(&str, &str)> = refused
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            found,
            [
                ("stages[1].name", "duplicate"),
                ("stages[1].probability", "out_of_range"),
                ("stages[2].name", "blank"),
            ]
        );
        let stages = check_stages(vec![input("Qualified", 20), input("Proposal", 60)]).unwrap();
        assert_eq!(
            stages.iter().map(|s| s.position).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(
            check_stages(Vec::new()).unwrap_err().0[0].code,
            "invalid_length"
        );
    }
}
