package domain

// Import states, in the imports table and the ImportWorkflow's ImportState search attribute.
const (
	ImportUploading = "uploading"
	ImportRunning   = "running"
	ImportCompleted = "completed"
	ImportFailed    = "failed"
	ImportCancelled = "cancelled"
)
