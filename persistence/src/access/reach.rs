//! The privilege ceiling, as the access use cases apply it.

use rapport_domain::access::ceiling::{self, Listed};
use rapport_domain::access::{Actor, Grant};

/// Refuses (403 `privilege_escalation`) when `wanted` grants something the actor does not hold:
/// nobody reaches further by managing access than they reach already. `what` names what would
/// have granted it, such as "the role `admin`".
pub(crate) fn within_reach(actor: &Actor, wanted: &[Grant], what: &str) -> crate::Result<()> {
    let missing = ceiling::beyond(&actor.grants, wanted);
    if missing.is_empty() {
        return Ok(());
    }
    Err(crate::Error::Forbidden {
        code: "privilege_escalation",
        message: format!(
            "{what} grants {}, which you do not hold yourself",
            Listed(&missing, &actor.grants)
        ),
    })
}
