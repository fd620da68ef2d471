CREATE TABLE "environments" (
	"name" text PRIMARY KEY NOT NULL,
	"position" integer NOT NULL,
	"channel" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "services" (
	"name" text PRIMARY KEY NOT NULL,
	"team" text NOT NULL,
	"repo" text NOT NULL,
	"depends_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "version_set_members" (
	"version_set_id" integer NOT NULL,
	"service" text NOT NULL,
	"version" text NOT NULL,
	CONSTRAINT "version_set_members_version_set_id_service_pk" PRIMARY KEY("version_set_id","service")
);
--> statement-breakpoint
CREATE TABLE "version_sets" (
	"id" serial PRIMARY KEY NOT NULL,
	"parent_id" integer,
	"source" text NOT NULL,
	"changed_service" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "versions" (
	"service" text NOT NULL,
	"version" text NOT NULL,
	"commit_sha" text,
	"repo" text,
	"pull_number" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "versions_service_version_pk" PRIMARY KEY("service","version")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"lane" text DEFAULT 'critical' NOT NULL,
	"effect" jsonb NOT NULL,
	"idempotency_key" text NOT NULL,
	"coalesce_key" text,
	"release_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "processed_requests" (
	"key" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"response" jsonb
);
--> statement-breakpoint
CREATE TABLE "infra_sets" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"environment" text NOT NULL,
	"version" text NOT NULL,
	"release_id" text,
	"state" text NOT NULL,
	"weight" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"warmed_at" timestamp with time zone,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"release_id" text NOT NULL,
	"environment" text NOT NULL,
	"user_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "approvals_release_id_environment_user_id_pk" PRIMARY KEY("release_id","environment","user_id")
);
--> statement-breakpoint
CREATE TABLE "environment_locks" (
	"environment" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "freezes" (
	"id" serial PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"reason" text NOT NULL,
	"from" timestamp with time zone NOT NULL,
	"until" timestamp with time zone,
	"created_by" text NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" text
);
--> statement-breakpoint
CREATE TABLE "release_cards" (
	"release_id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"rendered_version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "release_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"release_id" text,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"type" text NOT NULL,
	"actor" text,
	"message" text NOT NULL,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"environment" text NOT NULL,
	"version_set_id" integer NOT NULL,
	"requester" text NOT NULL,
	"state" jsonb NOT NULL,
	"next_tick_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_queue_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"repo" text NOT NULL,
	"base_branch" text NOT NULL,
	"branch" text NOT NULL,
	"base_sha" text NOT NULL,
	"parent_batch_id" integer,
	"head_sha" text,
	"entry_ids" jsonb NOT NULL,
	"status" text NOT NULL,
	"landed_sha" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "merge_queue_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"repo" text NOT NULL,
	"base_branch" text NOT NULL,
	"pull_number" integer NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"author" text DEFAULT '' NOT NULL,
	"requested_by" text NOT NULL,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"head_sha" text,
	"expected_head_sha" text,
	"update_requested_at" timestamp with time zone,
	"rechecks" integer DEFAULT 0 NOT NULL,
	"suspect_group" integer,
	"batch_id" integer,
	"eject_code" text,
	"eject_message" text,
	"merge_commit_sha" text,
	"version_set_ids" jsonb,
	"enqueued_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_queue_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"entry_id" integer,
	"batch_id" integer,
	"repo" text NOT NULL,
	"pull_number" integer,
	"kind" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_queues" (
	"repo" text NOT NULL,
	"base_branch" text NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"paused_code" text,
	"paused_message" text,
	"next_suspect_group" integer DEFAULT 1 NOT NULL,
	"next_poll_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "merge_queues_repo_base_branch_pk" PRIMARY KEY("repo","base_branch")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_idempotency_key" ON "outbox" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_pending_coalesce_key" ON "outbox" USING btree ("coalesce_key") WHERE "outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_due" ON "outbox" USING btree ("lane","status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "outbox_release" ON "outbox" USING btree ("release_id");--> statement-breakpoint
CREATE INDEX "infra_sets_target" ON "infra_sets" USING btree ("service","environment","state");--> statement-breakpoint
CREATE UNIQUE INDEX "release_events_transition" ON "release_events" USING btree ("release_id","version") WHERE "release_events"."kind" = 'transition';--> statement-breakpoint
CREATE INDEX "release_events_release" ON "release_events" USING btree ("release_id","id");--> statement-breakpoint
CREATE INDEX "releases_due" ON "releases" USING btree ("status","next_tick_at");--> statement-breakpoint
CREATE INDEX "merge_queue_batches_open" ON "merge_queue_batches" USING btree ("repo","base_branch","status");--> statement-breakpoint
CREATE UNIQUE INDEX "merge_queue_entries_active_pull" ON "merge_queue_entries" USING btree ("repo","pull_number") WHERE "merge_queue_entries"."finished_at" IS NULL;--> statement-breakpoint
CREATE INDEX "merge_queue_entries_queue" ON "merge_queue_entries" USING btree ("repo","base_branch","finished_at","id");--> statement-breakpoint
CREATE INDEX "merge_queue_events_entry" ON "merge_queue_events" USING btree ("entry_id");