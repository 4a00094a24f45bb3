# routedesk: one static binary; the same image runs server, worker and migrate.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/routedesk ./cmd/routedesk

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/routedesk /usr/local/bin/routedesk
ENTRYPOINT ["/usr/local/bin/routedesk"]
CMD ["server"]
