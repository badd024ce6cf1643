//! Customers and the people behind them.

mod contact;
mod customer;

pub use contact::{Contact, ContactChanges, NewContact};
pub use customer::{
    Address, Consent, ConsentInput, Customer, CustomerChanges, CustomerKind, Gender, LifecycleStage,
    NewCustomer, birthday, custom_fields, tags, SORTABLE_FIELDS, DEFAULT_SORT,
};

/// Errors of the customer rules that are not about one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Contacts belong to company customers only.
    #[error("only company customers have contacts")]
    ContactsRequireCompany,
}
