//! The engine's input built from the catalog's facts about what can be bought. The cart,
//! checkout and the storefront's promoted prices all build it here, so a product page and
//! the cart can never price the same variant from different facts.

use crate::pricing::{CartLine, VendorShipping};
use catalog::purchasable::Purchasable;
use platform::money::Won;
use platform::quantity::Quantity;

/// A cart line of `quantity` units at the catalog's list price.
pub fn cart_line(p: &Purchasable, quantity: Quantity) -> CartLine {
    CartLine {
        variant_id: p.variant_id,
        product_id: p.product_id,
        vendor_id: p.vendor_id,
        category_path: p.category_path.clone(),
        tags: p.tags.clone(),
        certified: p.certified,
        unit_price: Won(p.price),
        quantity,
        taxable: p.taxable,
    }
}

/// The shipping policy of every vendor among `items`, once each, in order of appearance.
pub fn vendor_shipping<'a>(
    items: impl IntoIterator<Item = &'a Purchasable>,
) -> Vec<VendorShipping> {
    let mut shipping: Vec<VendorShipping> = Vec::new();
    for p in items {
        if !shipping.iter().any(|s| s.vendor_id == p.vendor_id) {
            shipping.push(VendorShipping {
                vendor_id: p.vendor_id,
                base_fee: Won(p.shipping_base_fee),
                free_threshold: p.shipping_free_threshold.map(Won),
            });
        }
    }
    shipping
}
