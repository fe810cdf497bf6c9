# The emulator as a static binary on an empty base (SPEC §9: under 20 MB).
#
# CI cannot run `docker build` (no Docker engine there); scripts/container-check.sh
# lints this file, builds the same static binary with the same commands, and
# builds and runs the runtime stage below, copied from this file verbatim.

# Build tools and cargo-chef, shared by the planner and the builder.
FROM rust:1.95-bookworm AS chef
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

# The dependency recipe changes only when Cargo.toml or Cargo.lock do.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A static glibc binary: the runtime image has no libc at all.
ENV RUSTFLAGS="-C target-feature=+crt-static"
COPY --from=planner /app/recipe.json recipe.json
# The C flags of mimalloc's build (.cargo/config.toml) apply to this layer too.
COPY .cargo .cargo
# Dependencies first, in their own cached layer.
RUN cargo chef cook --release --locked --target "$(rustc -vV | sed -n 's/^host: //p')" --recipe-path recipe.json
COPY . .
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
    && cargo build --release --locked --target "$target" --bin uipath-license-mock \
    && cp "target/$target/release/uipath-license-mock" /uipath-license-mock

# Runtime: nothing but the binary, as a non-root user.
FROM scratch AS runtime
COPY --from=builder /uipath-license-mock /uipath-license-mock
USER 65532:65532
ENV LICENSE_MOCK_HOST=0.0.0.0 \
    LICENSE_MOCK_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --start-interval=1s --retries=3 \
    CMD ["/uipath-license-mock", "healthcheck"]
ENTRYPOINT ["/uipath-license-mock"]
