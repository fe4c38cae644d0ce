//! The kinds of ledger entry. Amounts are signed won from the vendor's side: what the shop
//! owes the vendor grows with a positive entry and shrinks with a negative one.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A confirmed line at its list amount (+).
    Sale,
    /// What returned units took back of the vendor's net sale (−).
    Refund,
    /// Shipping the customer paid, and return shipping kept (+).
    ShippingIncome,
    /// The shop's commission (−).
    Commission,
    /// 10% VAT on the commission (−).
    CommissionVat,
    /// The payment gateway's fee passed on (−).
    PaymentFee,
    /// A discount the vendor funds (−).
    VendorDiscount,
    /// A discount the platform or city funds: informational, it never reduces the payable.
    PlatformDiscount,
    /// An admin's correction, with a reason (±).
    Adjustment,
    /// Money paid out (−), or given back by a failed payout (+).
    Payout,
}

impl EntryKind {
    pub const ALL: [EntryKind; 10] = [
        EntryKind::Sale,
        EntryKind::Refund,
        EntryKind::ShippingIncome,
        EntryKind::Commission,
        EntryKind::CommissionVat,
        EntryKind::PaymentFee,
        EntryKind::VendorDiscount,
        EntryKind::PlatformDiscount,
        EntryKind::Adjustment,
        EntryKind::Payout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Sale => "sale",
            EntryKind::Refund => "refund",
            EntryKind::ShippingIncome => "shipping_income",
            EntryKind::Commission => "commission",
            EntryKind::CommissionVat => "commission_vat",
            EntryKind::PaymentFee => "payment_fee",
            EntryKind::VendorDiscount => "vendor_discount",
            EntryKind::PlatformDiscount => "platform_discount",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Payout => "payout",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the entry moves what the vendor is owed (every kind but the informational
    /// platform-funded discount).
    pub fn payable(self) -> bool {
        self != EntryKind::PlatformDiscount
    }

    /// The Korean label statements and exports show.
    pub fn label_ko(self) -> &'static str {
        match self {
            EntryKind::Sale => "판매",
            EntryKind::Refund => "환불",
            EntryKind::ShippingIncome => "배송비",
            EntryKind::Commission => "수수료",
            EntryKind::CommissionVat => "수수료 부가세",
            EntryKind::PaymentFee => "결제수수료",
            EntryKind::VendorDiscount => "판매자 부담 할인",
            EntryKind::PlatformDiscount => "플랫폼 부담 할인(참고)",
            EntryKind::Adjustment => "조정",
            EntryKind::Payout => "지급",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EntryKind;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EntryKind::parse("bonus"), None);
        assert!(!EntryKind::PlatformDiscount.payable());
        assert!(EntryKind::VendorDiscount.payable());
    }
}
