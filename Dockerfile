# The andon server image: a static binary on distroless, running as the
# distroless "nonroot" user.
#
#   docker build --build-arg VERSION=1.0.0 -t registry.example.com/platform/andon:1.0.0 .
#
# The build runs on the builder's own platform and cross-compiles, so that
# docker buildx build --platform linux/amd64,linux/arm64 needs no emulation.
# The Go of go.mod: the image does not fetch a newer toolchain itself.
FROM --platform=$BUILDPLATFORM golang:1.26.8 AS build
WORKDIR /src
# Modules first, so that a change to the sources reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS TARGETARCH
# The flags of make build, and the version that andon --version and the
# "andon started" log line report.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/andon-governance/andon.Version=${VERSION}" \
      -o /out/andon ./cmd/andon

# static-debian12 has CA certificates (git over HTTPS, TLS to PostgreSQL) and
# no shell; the binary embeds the time zone database. The binary is on PATH,
# so that "kubectl exec deploy/andon -- andon token create" works.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/andon /usr/local/bin/andon
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/andon"]
CMD ["serve"]
