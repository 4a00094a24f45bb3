# routedesk: one static binary; the same image runs server, worker, migrate
# and healthcheck (docker-compose.yml builds it once for all of them).
# The Go version is the one go.mod names.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags slim -trimpath -ldflags="-s -w" -o /out/routedesk ./cmd/routedesk

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/routedesk /usr/local/bin/routedesk
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/routedesk"]
CMD ["server"]
