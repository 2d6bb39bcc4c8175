-- An admin can disable an account: it can no longer log in or refresh, and every request with
-- one of its access tokens is refused at once (the session check reads this column).
ALTER TABLE "users" ADD COLUMN "disabledAt" TIMESTAMP(3);
