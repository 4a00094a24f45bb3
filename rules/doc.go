// Package rules compiles, validates, caches and evaluates routedesk's routing
// rules, which admins write as expr-lang expressions.
//
// # Rules
//
// A property rule sets ticket properties when its `when` expression is true;
// a skill rule adds required agent skills. Every `when` is a boolean
// expression over a typed environment ([Env]): ticket, message, contact,
// channel and now. Field names are snake_case (`ticket.subject`,
// `message.hidden.plan`, `contact.is_new`), so a typo is a compile error with a
// line and column, reported before a rule is saved.
//
// A value in a property rule's `set` map is a literal (a JSON string, number or
// boolean) unless it is a string starting with "=", in which case the rest is
// an expression evaluated against the same environment:
// {"priority": "high", "region": "=upper(contact.country)"}. A literal string
// that must start with "=" is written with two: "==x" sets "=x".
//
// # Helper functions
//
//   - domain(email) string: the lower-cased part after the last "@", "" if none.
//   - matches(s, regex) bool: RE2 regular-expression search. Compiled regexes
//     are cached; a bad literal regex is a compile error, a bad computed one a
//     runtime error. The operator form `s matches "re"` also works.
//   - contains_any(s, list) bool: case-insensitive substring test; empty list
//     entries are ignored.
//   - in_business_hours(now, spec, tz) bool: whether now, converted to the IANA
//     time zone tz ("" keeps now's own zone), falls in spec, e.g.
//     "Mon-Fri 09:00-17:00, Sat 10:00-14:00" (entries separated by "," or ";",
//     each a day or day range followed by one or more HH:MM-HH:MM ranges; an
//     end of 24:00 means midnight; ranges are half-open; the grammar is
//     domain.ParseBusinessHours's, shared with the chat channel's opening
//     hours). A bad literal spec or zone is a compile error.
//   - expr's own builtins (lower, upper, trim, split, len, any, all, filter,
//     map, ...) except the ones listed under Limits.
//
// # Conflict resolution
//
// [Engine.Evaluate] considers the enabled rules of a [RuleSet] whose ChannelID
// is empty or equals the evaluated channel, in descending Priority (a higher
// number runs first), ties broken by rule ID ascending. A rule matches when
// its `when` is true (nil counts as false). For each property the first
// matching rule that sets it wins; later rules cannot override it. Required
// skills are the union over all matching skill rules, sorted and deduplicated.
// When a matching rule has StopProcessing, no later rule runs. A rule that
// fails at runtime (a nil field access, a bad computed regex, a limit) is
// reported in [Result.Errors], counts as not matched, applies nothing, and does
// not affect the other rules. Evaluation is deterministic: it reads no clock
// (the caller passes now) and iterates the set map in key order.
//
// # Limits
//
// Every expression is bounded so that no rule can exhaust a worker:
//
//   - at most [MaxExpressionBytes] bytes and [MaxNodes] syntax nodes, checked
//     at compile time;
//   - expr's VM memory budget ([MemoryBudget]) for ranges, arrays and maps
//     built during a run;
//   - a work budget ([MaxWork]) per run: every element a loop builtin (all,
//     any, filter, map, reduce, ...) iterates, every element of a list a
//     builtin returns and every byte of a string an operation builds (`+`,
//     upper, replace, join, ...) counts one unit. The compiler inserts the
//     accounting around those operations.
//
// expr has no unbounded loops: its only iteration is builtins over
// collections, whose sizes come from the input or from ranges under the
// memory budget. Nesting such loops multiplies their cost, and `let`
// variables allow repeated doubling; the work budget caps both, so a run ends
// (with an error) after a bounded amount of work. Builtins that could build
// very large values in a single step (concat, flatten, toJSON) are disabled,
// replace, repeat and join check their result size before allocating, and
// string() refuses lists and maps.
// The builtin now() is shadowed by the env's `now`, which keeps evaluation
// replayable inside a Temporal workflow; the one remaining source of
// nondeterminism is an expression that depends on the order of keys() or
// values() of a map, which Go randomises.
//
// # Caching
//
// [Engine] caches compiled programs by rule ID and version (and checks the
// rule's text, so an unsaved rule with a reused ID is never run with a stale
// program). A newer version replaces the older one; evaluation compiles only
// rules it has not seen. It also keeps each evaluated set's plan — the rules
// that apply to the channel, in order, with their programs — and reuses it for
// the same set (the same rules, IDs, versions, priorities, channels and
// enabled flags, and the same text for every program), so an unchanged set is
// neither sorted nor looked up rule by rule again.
package rules
