//! The pricing engine: one pure function, [`quote`], from a cart, the promotions live at an
//! instant, the customer's coupons and the delivery address to a [`Quote`].
//!
//! The cart page and checkout call the same function; checkout quotes again inside its
//! transaction and refuses, with the new quote, when the total the customer saw changed.
//! Nothing here does I/O, reads a clock or draws a random number: the instant `at` is an
//! input, promotion windows are half-open (`starts_at <= at < ends_at`), and equal inputs
//! give equal quotes whatever order the rules and deals were loaded in.
//!
//! How a quote is made, in order:
//!
//! 1. **Line promotions.** For each line every campaign rule targeting its product or
//!    variant and every time deal on its variant is a candidate. The applicable candidate
//!    with the lowest unit price wins (ties: time deal first, then the smaller id). A
//!    `Percent` rule takes `floor(price × p / 100)` off; no rule goes below its floor or 0,
//!    and a candidate that does not lower the list price is not applied. A time deal
//!    applies only to the whole line: when the deal's remaining units and the customer's
//!    limit (counting what earlier lines of the same quote took) cover the quantity. With
//!    [`StackingPolicy::time_deal_beats_campaign`] an applicable time deal wins over any
//!    rule. Every other candidate is listed with why it did not apply.
//! 2. **Order coupons** (`Percent`, `AmountOff`). A coupon's base is the sum of the
//!    discounted amounts of the lines in its scope (without the lines that have a line
//!    promotion unless [`StackingPolicy::coupons_on_promoted_lines`]); `min_order` is
//!    compared with that base.
//!    Of the usable coupons the ones giving most are applied, at most
//!    [`StackingPolicy::max_order_coupons`], each on what earlier coupons left; the
//!    discount never exceeds the base and is spread over the in-scope lines by
//!    [`platform::money::allocate`] (largest remainder) weighted by their amounts.
//! 3. **Shipping**, per vendor in order of first appearance: the base fee is waived when
//!    the vendor's subtotal after coupons reaches its free threshold; the remote-area
//!    surcharge of the destination is added to each vendor's parcel.
//! 4. **Shipping coupons** (`FreeShipping`, at most
//!    [`StackingPolicy::max_shipping_coupons`], none after an order coupon unless
//!    [`StackingPolicy::order_and_shipping_coupons_combine`]) waive the base fees still
//!    charged by the vendors in scope — never the remote-area surcharge.
//! 5. **Totals**, with the taxable and tax-free (면세) parts apart; shipping is taxable.

mod cart;
mod coupon;
mod engine;
mod error;
mod promotion;
mod quote;
mod remote_area;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use cart::{CartLine, DealPurchase, Destination, MAX_AMOUNT, QuoteRequest, VendorShipping};
pub use coupon::{Coupon, CouponKind, CouponScope, StackingPolicy};
pub use engine::quote;
pub use error::PricingError;
pub use promotion::{Discount, LivePromotions, PriceRule, RuleTarget, TimeDeal};
pub use quote::{
    ALL_OF_IT, AppliedPromotion, CouponClass, CouponOutcome, CouponRejection, CouponShare,
    LineQuote, PromotionRef, PromotionRejection, Quote, QuoteTotals, RejectedPromotion,
    VendorShippingQuote,
};
pub use remote_area::{
    RemoteAreaError, RemoteAreaExemption, RemoteAreaMatch, RemoteAreaRange, RemoteAreaTable,
};
