ALTER TABLE "outbox" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "processed_requests" ADD COLUMN "command" jsonb;--> statement-breakpoint
ALTER TABLE "processed_requests" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "processed_requests" ADD COLUMN "handled_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "processed_requests_unhandled" ON "processed_requests" USING btree ("lease_until") WHERE "processed_requests"."command" IS NOT NULL AND "processed_requests"."handled_at" IS NULL;