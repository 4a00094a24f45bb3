package devtemporal

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts Temporal's log.Logger to slog and keeps only warn and
// above. While quiet is set (startup until the frontend answers, and from Stop
// on) warnings are dropped too: they are the expected "connection refused"
// and "graceful_stop" complaints of services waiting for each other.
type serverLogger struct {
	l     *slog.Logger
	quiet *atomic.Bool
}

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

func newServerLogger(l *slog.Logger) serverLogger {
	s := serverLogger{l: l, quiet: &atomic.Bool{}}
	s.quiet.Store(true)
	return s
}

func (s serverLogger) Debug(string, ...tag.Tag) {}

func (s serverLogger) Info(string, ...tag.Tag) {}

func (s serverLogger) Warn(msg string, tags ...tag.Tag) {
	if !s.quiet.Load() {
		s.log(slog.LevelWarn, msg, tags)
	}
}

func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic logs at error level: development panics are not wanted in a dev server.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{l: s.l.With(attrs(tags)...), quiet: s.quiet}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	s.l.Log(context.Background(), level, msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		if t == nil {
			continue
		}
		out = append(out, slog.Any(t.Key(), t.Value()))
	}
	return out
}

// warnOnly returns a logger that drops records below warn level.
func warnOnly(l *slog.Logger) *slog.Logger {
	return slog.New(minLevelHandler{Handler: l.Handler(), min: slog.LevelWarn})
}

// minLevelHandler filters records below min before they reach the wrapped handler.
type minLevelHandler struct {
	slog.Handler
	min slog.Level
}

func (h minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min && h.Handler.Enabled(ctx, level)
}

func (h minLevelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevelHandler{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}
