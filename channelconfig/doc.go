// Package channelconfig holds the team email channel until it moves to
// channels/email: its configuration and its channels.Channel.
package channelconfig
