package email

import (
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

// htmlPolicy is bluemonday's UGC policy (no scripts, styles, forms, frames,
// objects or event handlers) that also keeps cid: references to inline images.
func htmlPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto", "cid")
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		policy = p
	})
	return policy
}

// SanitizeHTML returns html with everything unsafe removed; cid: image
// references are kept so inline images can be resolved by Content-ID.
func SanitizeHTML(html string) string {
	return htmlPolicy().Sanitize(html)
}
