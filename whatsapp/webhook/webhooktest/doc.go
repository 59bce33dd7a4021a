// Package webhooktest helps test code that receives WhatsApp webhooks: it
// signs payloads the way Meta does and builds ready-to-serve requests.
package webhooktest
