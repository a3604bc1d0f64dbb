//! install's option grammar, table-driven as virt-install's is: the table of every virt-install
//! option (table), the sub-option parser they share (parse), the XML of the table-driven options
//! (element), the refused options' command-line entries (refused) and the option reference the
//! man page and docs/vnet-vm.md print (reference).

mod check;
mod domain_rows;
pub mod edit;
pub mod element;
pub mod parse;
mod passthrough;
pub mod reference;
pub mod refused;
mod rows;
pub mod table;

pub use parse::normalize;
pub use refused::TableArgs;
