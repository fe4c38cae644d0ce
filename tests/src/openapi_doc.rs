//! Walking the OpenAPI document the app serves, for the tests that check every operation.

use serde_json::Value;

/// Every operation of the document as `(method, path, operation)`.
pub fn operations(doc: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, op)| (method.as_str(), path.as_str(), op))
        })
}

/// A schema with a `$ref` into the components followed, and the component's name.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            (&doc["components"]["schemas"][name], Some(name))
        }
        None => (schema, None),
    }
}
