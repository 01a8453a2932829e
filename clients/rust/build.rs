//! Generates the convsvc.v1 stubs from ../../proto into OUT_DIR: tonic client + prost messages
//! (tonic-prost-build) and their ProtoJSON serde impls (pbjson-build), from one descriptor set.

use std::{env, error::Error, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &["convsvc/v1/conversion.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    let proto_root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_root.join("convsvc/v1").display());

    // protox is protoc in pure Rust: no system package to install, same compiler on every machine.
    let descriptors = protox::compile(PROTOS, [&proto_root])?;

    tonic_prost_build::configure().build_server(false).compile_fds(descriptors.clone())?;

    pbjson_build::Builder::new().register_descriptors(&descriptors.encode_to_vec())?.build(&[".convsvc.v1"])?;
    Ok(())
}
