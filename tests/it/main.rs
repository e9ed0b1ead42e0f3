//! The one integration-test binary: store, API, pages, command line and a real browser, on
//! SQLite and — when HONGZHU_TEST_PG is set — on PostgreSQL.
mod api;
mod browser;
mod campaigns;
mod care;
mod cli;
mod coverage;
mod development;
mod dues;
mod ledger;
mod life;
mod matrix;
mod pages;
mod plus;
mod school;
mod schoolwork;
mod security;
mod service;
mod store;
mod support;
mod terms;
mod transfers;
