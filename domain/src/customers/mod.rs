//! Customers and the people behind them.

mod contact;
mod customer;
mod disclosure;
pub mod fields;
pub mod levels;
pub mod merge;
pub mod privacy;
pub mod purchases;

pub use contact::{Contact, ContactChanges, NewContact};
pub use customer::{
    Address, Consent, ConsentInput, Customer, CustomerChanges, CustomerKind, Gender,
    LifecycleStage, MAX_TAGS, NewCustomer, birthday, tags,
};
pub use disclosure::{Disclosure, mask_contact_details};
pub use fields::{SORTABLE_FIELDS, default_sort};
pub use purchases::Purchases;

/// Errors of the customer rules that are not about one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Contacts belong to company customers only.
    #[error("only company customers have contacts")]
    ContactsRequireCompany,
}
