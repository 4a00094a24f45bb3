package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
)

// StoreAttemptTimeout bounds one attempt of a short store activity (a few
// queries): an attempt cut off with its worker is retried on another worker
// this soon, so a restarted or surviving worker carries on within seconds.
const StoreAttemptTimeout = 5 * time.Second

// activityOptions are those of the short store activities. Attempts are
// short; retries go on for as long as a day: a database that is down delays
// a conversation, it never loses one.
var activityOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    StoreAttemptTimeout,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
	},
}

// heartbeatTimeout notices a long activity whose worker died: it heartbeats
// every activities.HeartbeatEvery.
const heartbeatTimeout = 5 * time.Second

// Bounds of sending a reply in histories from before durable delivery
// (changeBoundedReply; new replies use DeliveryWorkflow): at most SendAttempts
// attempts, each HTTP call at most activities.SendTimeout, all within
// SendWithin; then the reply is marked failed with the last error as its reason.
const (
	SendAttempts = 6
	SendWithin   = 5 * time.Minute
)

// sendOptions retry a reply's send with backoff (1 s, 2 s, 4 s … at most a minute apart) within the bounds above.
var sendOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Second,
	HeartbeatTimeout:       heartbeatTimeout,
	ScheduleToCloseTimeout: SendWithin,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: SendAttempts,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
	},
}

// Bounds of a conversation's automated first messages (Messenger's instant
// reply and consent notice), which run beside the conversation.
const (
	CourtesyAttempts = 5
	CourtesyWithin   = 10 * time.Minute
)

// courtesyOptions retry the automated first messages within the bounds above.
var courtesyOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	HeartbeatTimeout:       heartbeatTimeout,
	ScheduleToCloseTimeout: CourtesyWithin,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 2 * time.Minute, MaximumAttempts: CourtesyAttempts,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
	},
}

// notifyOptions retry an owner notification for up to an hour.
var notifyOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	HeartbeatTimeout:       heartbeatTimeout,
	ScheduleToCloseTimeout: time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
	},
}

// openOptions are those of a conversation's opening sequence (contact, rules,
// ticket, route), run as one local activity: inside the workflow task, its
// result recorded in one marker event. An attempt may take a few store
// activities' worth of queries; retries go on as long as the store
// activities' do. A worker that dies mid-attempt leaves the workflow task to
// time out and another worker repeats the (idempotent) activity.
var openOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout:    2 * StoreAttemptTimeout,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy:            activityOptions.RetryPolicy,
}
