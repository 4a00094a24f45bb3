package macros

import (
	"reflect"
	"strings"
	"testing"
)

func TestRenderLeavesMissingVisible(t *testing.T) {
	got, missing := Render("Hi {{ contact.first_name }}, {{agent.name}} / {{contact.email}} {{contact.email}}",
		map[string]string{"contact.first_name": "Ada", "agent.name": "  "})
	if got != "Hi Ada, {{agent.name}} / {{contact.email}} {{contact.email}}" {
		t.Fatalf("rendered %q", got)
	}
	if !reflect.DeepEqual(missing, []string{"agent.name", "contact.email"}) {
		t.Fatalf("missing %v", missing)
	}
}

func TestCheckNamesUnknownPlaceholders(t *testing.T) {
	if err := Check("Hi {{contact.first_name}} {not one} {{ ticket.id }}"); err != nil {
		t.Fatal(err)
	}
	err := Check("{{contact.nickname}} and {{}}")
	if err == nil || !strings.Contains(err.Error(), "{{contact.nickname}}") || !strings.Contains(err.Error(), "{{}}") {
		t.Fatalf("error %v", err)
	}
}

func TestSplitName(t *testing.T) {
	if f, r := SplitName("  Ada  King Lovelace "); f != "Ada" || r != "King Lovelace" {
		t.Fatalf("%q %q", f, r)
	}
}
