//! What every sale is attributed to besides its products: the channel it was sold through
//! and the kind of buyer. Orders record both at checkout; the 실적 report groups by them.

use crate::text_status;

text_status! {
    /// Where a sale was made: the shop's own web or app, or one of the city's 인천직구
    /// storefronts (상설관) on an open market. Clients name it at checkout (absent: `web`);
    /// open-market sales arrive as uploaded exports.
    #[derive(Default)]
    pub enum SalesChannel {
        #[default]
        Web = "web",
        App = "app",
        /// 11번가.
        Elevenst = "11st",
        /// 롯데온.
        Lotteon = "lotteon",
        /// G마켓.
        Gmarket = "gmarket",
        /// 쿠팡.
        Coupang = "coupang",
        /// 네이버 스마트스토어.
        NaverSmartstore = "naver_smartstore",
    }
}

impl SalesChannel {
    /// An open-market storefront rather than the shop's own web or app.
    pub fn is_external(self) -> bool {
        !matches!(self, SalesChannel::Web | SalesChannel::App)
    }

    /// The name a Korean report shows.
    pub fn label_ko(self) -> &'static str {
        match self {
            SalesChannel::Web => "자사몰(웹)",
            SalesChannel::App => "자사몰(앱)",
            SalesChannel::Elevenst => "11번가",
            SalesChannel::Lotteon => "롯데온",
            SalesChannel::Gmarket => "G마켓",
            SalesChannel::Coupang => "쿠팡",
            SalesChannel::NaverSmartstore => "네이버 스마트스토어",
        }
    }
}

text_status! {
    /// Who bought: a consumer, a buyer organisation (a company buying on account) or a
    /// public institution (공공기관 우선구매). Set by the server from who is checking out,
    /// never by the client.
    #[derive(Default)]
    pub enum BuyerKind {
        #[default]
        Consumer = "consumer",
        Organisation = "organisation",
        PublicInstitution = "public_institution",
    }
}

impl From<crate::organisations::OrganisationKind> for BuyerKind {
    fn from(kind: crate::organisations::OrganisationKind) -> Self {
        use crate::organisations::OrganisationKind;
        match kind {
            OrganisationKind::PublicInstitution => BuyerKind::PublicInstitution,
            OrganisationKind::Company => BuyerKind::Organisation,
        }
    }
}

impl BuyerKind {
    /// The name a Korean report shows.
    pub fn label_ko(self) -> &'static str {
        match self {
            BuyerKind::Consumer => "일반 소비자",
            BuyerKind::Organisation => "기업·단체",
            BuyerKind::PublicInstitution => "공공기관",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;

    #[test]
    fn channels_read_back_from_their_words_and_unknown_words_are_refused() {
        for c in SalesChannel::ALL {
            assert_eq!(SalesChannel::parse(c.as_str()), Some(*c));
        }
        assert_eq!(SalesChannel::parse("auction"), None);
        assert_eq!(
            serde_json::from_str::<SalesChannel>("\"11st\"").ok(),
            Some(SalesChannel::Elevenst)
        );
        assert!(serde_json::from_str::<SalesChannel>("\"tmon\"").is_err());
    }
}
