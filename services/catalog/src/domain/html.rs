//! Product descriptions are stored already sanitised: whatever a vendor pastes, only a
//! safe subset of HTML (no scripts, handlers or foreign frames) reaches the storefront.

pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_and_handlers_are_removed() {
        let dirty = r#"<p onclick="steal()">강화순무<script>alert(1)</script><img src="x.jpg" onerror="x()"></p>"#;
        let clean = super::sanitize(dirty);
        assert!(!clean.contains("script"));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("onerror"));
        assert!(clean.contains("강화순무"));
    }
}
