//! The console (`/console`): pages without a browser (status per role, the role guard,
//! CSRF refusal on every POST) and in a real headless Chromium. One binary; the browser
//! harness is `jikgu_tests::browser`, the form client `jikgu_tests::console`.

mod admin_decisions;
mod admin_pages;
mod browser_admin;
mod browser_marketer;
mod browser_marketer_admin;
mod browser_vendor;
mod jobs;
mod marketer_admin_pages;
mod marketer_pages;
mod pages;
mod sign_in;
