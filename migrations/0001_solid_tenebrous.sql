CREATE TABLE "merge_queue_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"event" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"outcome" jsonb,
	"last_error" text,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "merge_queue_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"effect" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "merge_queue_pending_deploys" (
	"environment" text PRIMARY KEY NOT NULL,
	"version_set_id" integer NOT NULL,
	"repo" text NOT NULL,
	"reason" text NOT NULL,
	"since" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "merge_queue_entries_queue";--> statement-breakpoint
ALTER TABLE "merge_queue_batches" ADD COLUMN "check_retries" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "prioritised_by" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "check_retries" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "merge_queues" ADD COLUMN "unreachable_reason" text;--> statement-breakpoint
ALTER TABLE "merge_queues" ADD COLUMN "unreachable_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "merge_queue_deliveries_pending" ON "merge_queue_deliveries" USING btree ("status","seq");--> statement-breakpoint
CREATE INDEX "merge_queue_outbox_due" ON "merge_queue_outbox" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "merge_queue_entries_queue" ON "merge_queue_entries" USING btree ("repo","base_branch","finished_at","priority","id");