//! Customers and the people behind them.

mod contact;
mod customer;

pub use contact::{Contact, ContactChanges, NewContact};
pub use customer::{
    Address, Consent, ConsentInput, Customer, CustomerChanges, CustomerKind, DEFAULT_SORT, Gender,
    LifecycleStage, NewCustomer, SORTABLE_FIELDS, birthday, tags,
};

/// Errors of the customer rules that are not about one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Contacts belong to company customers only.
    #[error("only company customers have contacts")]
    ContactsRequireCompany,
}
