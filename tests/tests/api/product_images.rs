//! Product photo uploads: real images made here with the image crate, sent as a phone's
//! browser sends them (multipart), stored, resized, served at `/media`.

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use jikgu_tests::{Client, Reply, TestApp, spawn_app, spawn_app_with};
use platform::auth::Role;
use serde_json::json;

fn upload_form(bytes: Vec<u8>, name: &str, content_type: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .expect("mime");
    reqwest::multipart::Form::new().part("file", part)
}

async fn upload(
    client: &Client,
    product: impl std::fmt::Display,
    bytes: Vec<u8>,
    ct: &str,
) -> Reply {
    Client::send(
        client
            .request(
                reqwest::Method::POST,
                &format!("/v1/vendor/products/{product}/images"),
            )
            .multipart(upload_form(bytes, "photo", ct)),
    )
    .await
}

fn encoded(img: impl Into<image::DynamicImage>, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.into().write_to(&mut out, format).expect("encode");
    out.into_inner()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    // Half transparent: flattened on white when stored.
    let img = RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    encoded(img, image::ImageFormat::Png)
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    encoded(
        RgbaImage::from_pixel(w, h, Rgba([30, 160, 60, 255])),
        image::ImageFormat::WebP,
    )
}

/// Noise does not compress: a PNG of about `w * h * 3` bytes.
fn noisy_png(w: u32, h: u32) -> Vec<u8> {
    let mut seed = 0x2545_F491u32;
    let img = RgbImage::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        Rgb([a, b, c])
    });
    encoded(img, image::ImageFormat::Png)
}

const SECRET: &[u8] = b"GPS 37.4563N 126.7052E SERIAL-XK42";

/// A big-endian TIFF block with Orientation and an ImageDescription carrying [`SECRET`],
/// as a camera writes into APP1.
fn exif(orientation: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    t.extend_from_slice(&2u16.to_be_bytes());
    // Orientation, SHORT, 1 value, inline.
    t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    // ImageDescription, ASCII, at offset 38 (8 + 2 + 2 * 12 + 4).
    let len = SECRET.len() as u32 + 1;
    t.extend_from_slice(&[0x01, 0x0e, 0x00, 0x02]);
    t.extend_from_slice(&len.to_be_bytes());
    t.extend_from_slice(&38u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 38);
    t.extend_from_slice(SECRET);
    t.push(0);
    t
}

/// A 300×100 photo as the sensor saw it, red on the left, blue on the right, whose EXIF
/// says "turn 90° clockwise to view" (a phone held upright).
fn sideways_jpeg() -> Vec<u8> {
    let img = RgbImage::from_fn(300, 100, |x, _| {
        if x < 150 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
    enc.set_exif_metadata(exif(6)).expect("exif");
    enc.write_image(img.as_raw(), 300, 100, image::ExtendedColorType::Rgb8)
        .expect("jpeg");
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn fetch(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("http://{}{url}", app.addr))
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

async fn shop(app: &TestApp) -> (jikgu_tests::fixtures::Vendor, uuid::Uuid) {
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let p = app
        .product(&v, cat, "강화순무김치", &[], &[("SM-1", 15900, 10)])
        .await;
    (v, p)
}

#[tokio::test]
async fn a_vendor_uploads_photos_the_storefront_shows_in_every_size() {
    let app = spawn_app().await;
    let (v, p) = shop(&app).await;

    let first = upload(&v.client, p, png(2000, 1000), "image/png").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json["position"], 0);
    assert_eq!(first.json["large"]["width"], 1600);
    assert_eq!(first.json["large"]["height"], 800);
    assert_eq!(first.json["medium"]["width"], 800);
    assert_eq!(first.json["thumb"]["width"], 300);
    assert_eq!(first.json["thumb"]["height"], 150);

    // Each size is served from /media as a JPEG of that size, cacheable for ever.
    for size in ["large", "medium", "thumb"] {
        let url = first.json[size]["url"].as_str().expect("url");
        assert!(url.starts_with("/media/products/"), "{url}");
        let (status, headers, body) = fetch(&app, url).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(
            headers["cache-control"]
                .to_str()
                .expect("ascii")
                .contains("immutable")
        );
        let img = image::load_from_memory(&body).expect("decodes");
        assert_eq!(
            img.width(),
            first.json[size]["width"].as_u64().expect("w") as u32
        );
        assert_eq!(
            img.height(),
            first.json[size]["height"].as_u64().expect("h") as u32
        );
        // The transparent half is white, not black.
        let right = img.to_rgb8().get_pixel(img.width() - 2, img.height() / 2).0;
        assert!(right.iter().all(|c| *c > 230), "{right:?}");
    }

    // A small WebP is not enlarged.
    let second = upload(&v.client, p, webp(120, 90), "image/webp").await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.json["position"], 1);
    assert_eq!(second.json["large"]["width"], 120);
    assert_eq!(second.json["thumb"]["height"], 90);

    let page = app.client.get(&format!("/v1/products/{p}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.json["photos"].as_array().map(Vec::len), Some(2));
    // Every size of each photo, as its upload answered it, cover first.
    assert_eq!(page.json["photos"][0], first.json);
    assert_eq!(page.json["photos"][1], second.json);
    assert_eq!(page.json["images"][0], first.json["medium"]["url"]);
    let listed = app.client.get("/v1/products").await;
    assert_eq!(
        listed.json["items"][0]["image"],
        first.json["medium"]["url"]
    );

    // The vendor puts the WebP first.
    let ids = json!({"image_ids": [second.json["id"], first.json["id"]]});
    let r = v
        .client
        .put(&format!("/v1/vendor/products/{p}/images/order"), &ids)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json[0]["id"], second.json["id"]);
    let page = app.client.get(&format!("/v1/products/{p}")).await;
    assert_eq!(page.json["images"][0], second.json["medium"]["url"]);
    assert_eq!(page.json["photos"][1]["id"], first.json["id"]);

    // Not a permutation.
    v.client
        .put(
            &format!("/v1/vendor/products/{p}/images/order"),
            &json!({"image_ids": [second.json["id"]]}),
        )
        .await
        .assert_problem(422, "validation_failed");
    // Uploaded photos own `images`.
    let r = v
        .client
        .patch(
            &format!("/v1/vendor/products/{p}"),
            &json!({"images": ["https://img.example.kr/a.jpg"]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["code"], "uploaded_images");

    // Delete the PNG: its files go, the list closes up.
    let r = v
        .client
        .delete(&format!(
            "/v1/vendor/products/{p}/images/{}",
            first.json["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json.as_array().map(Vec::len), Some(1));
    let (status, _, _) = fetch(&app, first.json["large"]["url"].as_str().expect("url")).await;
    assert_eq!(status, 404);
    let list = v
        .client
        .get(&format!("/v1/vendor/products/{p}/images"))
        .await;
    assert_eq!(list.json[0]["id"], second.json["id"]);
    assert_eq!(list.json[0]["position"], 0);
    // The media route serves nothing outside the stored product files.
    let (status, _, _) = fetch(&app, "/media/products/../../etc/passwd.jpg").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_phone_photo_stands_upright_and_loses_its_exif() {
    let app = spawn_app().await;
    let (v, p) = shop(&app).await;
    let photo = sideways_jpeg();
    assert!(contains(&photo, SECRET), "the test photo carries EXIF");

    let r = upload(&v.client, p, photo, "image/jpeg").await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Upright: the 300×100 sensor image is shown 100 wide, 300 tall.
    assert_eq!(r.json["large"]["width"], 100);
    assert_eq!(r.json["large"]["height"], 300);
    for size in ["large", "medium", "thumb"] {
        let (_, _, body) = fetch(&app, r.json[size]["url"].as_str().expect("url")).await;
        assert!(
            !contains(&body, SECRET),
            "{size} still carries the EXIF text"
        );
        assert!(
            !contains(&body, b"Exif\0\0"),
            "{size} still has an EXIF block"
        );
        let img = image::load_from_memory(&body).expect("decodes").to_rgb8();
        assert_eq!((img.width(), img.height()), (100, 300));
        // Turned clockwise: what was on the left (red) is now on top.
        let top = img.get_pixel(50, 20).0;
        let bottom = img.get_pixel(50, 280).0;
        assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "bottom is blue: {bottom:?}"
        );
    }
}

#[tokio::test]
async fn wrong_types_broken_files_and_oversize_are_refused_with_stable_codes() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.media.max_upload_bytes = 50_000;
    })
    .await;
    let (v, p) = shop(&app).await;

    // The client's content type is not believed: a GIF called a JPEG.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let r = upload(&v.client, p, gif, "image/jpeg").await;
    r.assert_problem(422, "image_type_unsupported");
    assert_eq!(r.json["errors"][0]["field"], "file");
    upload(
        &v.client,
        p,
        b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        "image/png",
    )
    .await
    .assert_problem(422, "image_type_unsupported");
    // JPEG magic, then nothing an image decoder can use.
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
    broken.extend_from_slice(&[7u8; 500]);
    upload(&v.client, p, broken, "image/jpeg")
        .await
        .assert_problem(422, "image_unreadable");

    // Over the limit (50 kB here): refused while it arrives.
    let big = noisy_png(200, 200);
    assert!(big.len() > 50_000);
    let r = upload(&v.client, p, big, "image/png").await;
    r.assert_problem(413, "image_too_large");
    // Just under it is fine.
    let ok = noisy_png(100, 100);
    assert!(ok.len() < 50_000);
    assert_eq!(upload(&v.client, p, ok, "image/png").await.status, 201);

    // No `file` part, or no multipart at all.
    let form = reqwest::multipart::Form::new().text("note", "hi");
    let r = Client::send(
        v.client
            .request(
                reqwest::Method::POST,
                &format!("/v1/vendor/products/{p}/images"),
            )
            .multipart(form),
    )
    .await;
    r.assert_problem(422, "validation_failed");
    v.client
        .post(&format!("/v1/vendor/products/{p}/images"), &json!({}))
        .await
        .assert_problem(415, "unsupported_media_type");
    // Nothing refused was stored.
    let list = v
        .client
        .get(&format!("/v1/vendor/products/{p}/images"))
        .await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn another_vendor_cannot_touch_a_products_photos() {
    let app = spawn_app().await;
    let (a, p) = shop(&app).await;
    let b = app.vendor("영종도소금").await;
    let cat = app.category("salt", None, &[]).await;
    let bp = app
        .product(&b, cat, "천일염", &[], &[("SALT-1", 9000, 5)])
        .await;
    let img = upload(&a.client, p, webp(64, 64), "image/webp").await;
    assert_eq!(img.status, 201, "{}", img.body);
    let img_id = img.json["id"].as_str().expect("id").to_owned();

    upload(&b.client, p, webp(64, 64), "image/webp")
        .await
        .assert_problem(404, "not_found");
    b.client
        .get(&format!("/v1/vendor/products/{p}/images"))
        .await
        .assert_problem(404, "not_found");
    b.client
        .put(
            &format!("/v1/vendor/products/{p}/images/order"),
            &json!({"image_ids": [img_id]}),
        )
        .await
        .assert_problem(404, "not_found");
    b.client
        .delete(&format!("/v1/vendor/products/{p}/images/{img_id}"))
        .await
        .assert_problem(404, "not_found");
    // A's photo id under B's own product is not found either.
    b.client
        .delete(&format!("/v1/vendor/products/{bp}/images/{img_id}"))
        .await
        .assert_problem(404, "not_found");

    // Other roles may not upload at all; without a token, 401.
    let (customer, _) = app.account(Role::Customer, None).await;
    upload(&customer, p, webp(64, 64), "image/webp")
        .await
        .assert_problem(403, "forbidden");
    upload(&app.client, p, webp(64, 64), "image/webp")
        .await
        .assert_problem(401, "unauthenticated");

    let list = a
        .client
        .get(&format!("/v1/vendor/products/{p}/images"))
        .await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(1));
    let (status, _, _) = fetch(&app, img.json["large"]["url"].as_str().expect("url")).await;
    assert_eq!(status, 200);
}
