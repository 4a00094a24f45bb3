package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
)

func TestRuleSetIsTheRulesOfItsVersion(t *testing.T) {
	st, acc, _ := setup(t)
	ctx := context.Background()

	empty, err := st.RuleSet(ctx, acc.ID)
	require.NoError(t, err)
	assert.Empty(t, empty.Rules)

	var ids []string
	for i := range 3 {
		r, err := st.CreateRule(ctx, acc.ID, rules.Rule{Name: fmt.Sprintf("r%d", i), Kind: rules.KindSkill,
			When: `message.text contains "x"`, RequireSkills: []string{"s"}, Priority: i, Enabled: true})
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	set, err := st.RuleSet(ctx, acc.ID)
	require.NoError(t, err)
	require.Len(t, set.Rules, 3)
	assert.Greater(t, set.Version, empty.Version)
	assert.Equal(t, `message.text contains "x"`, set.Rules[0].When)
	assert.Equal(t, []string{"s"}, set.Rules[0].RequireSkills)

	for _, id := range ids {
		require.NoError(t, st.DeleteRule(ctx, acc.ID, id))
	}
	after, err := st.RuleSet(ctx, acc.ID)
	require.NoError(t, err)
	assert.Empty(t, after.Rules)
	assert.Greater(t, after.Version, set.Version)

	_, err = st.RuleSet(ctx, "acc_missing")
	assert.True(t, errors.Is(err, domain.ErrNotFound), "%v", err)
}

// Read while rules are edited, every snapshot holds exactly the rules of its
// version: each edit adds one rule and bumps the version by one.
func TestRuleSetStaysConsistentDuringEdits(t *testing.T) {
	st, acc, _ := setup(t)
	ctx := context.Background()
	base, err := st.RuleSet(ctx, acc.ID)
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			_, err := st.CreateRule(ctx, acc.ID, rules.Rule{Name: fmt.Sprintf("r%d", i), Kind: rules.KindSkill,
				When: `true`, RequireSkills: []string{"s"}, Enabled: true})
			assert.NoError(t, err)
		}
	}()
	for range 200 {
		set, err := st.RuleSet(ctx, acc.ID)
		require.NoError(t, err)
		require.Equal(t, int(set.Version-base.Version), len(set.Rules), "version %d", set.Version)
	}
	wg.Wait()
}
