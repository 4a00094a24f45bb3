package devtemporal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/dynamicconfig"
)

func TestSearchAttributeCacheRefreshStaysOnUnlessAllWereThereAtStart(t *testing.T) {
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	attrs := map[string]enumspb.IndexedValueType{"A": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	refresh := func(dc *dynamicconfig.MemoryClient) any {
		cvs := dc.GetValue(key)
		if len(cvs) == 0 {
			return nil
		}
		return cvs[0].Value
	}
	tests := []struct {
		name  string
		opts  Options
		added bool
		want  bool
	}{
		{"every attribute in the database before the start", Options{SearchAttributes: attrs}, false, false},
		{"this start added attributes", Options{SearchAttributes: attrs}, true, true},
		{"the caller registers its attributes later", Options{}, false, true},
		{"the caller set it", Options{SearchAttributes: attrs, DynamicConfig: map[string]any{key.String(): true}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := dynamicConfig(tt.opts.DynamicConfig)
			assert.Equal(t, true, refresh(dc), "on while the server starts")
			settleSearchAttributeCache(dc, tt.opts, tt.added)
			assert.Equal(t, tt.want, refresh(dc))
		})
	}
}
