//! The tool's binary is a static PIE: see vnet-common/build/static_pie.rs.

#[path = "../vnet-common/build/static_pie.rs"]
mod static_pie;

fn main() {
    static_pie::link_bins_static_pie();
}
