// The review_decisions table (see review_decisions.h). Created on first write, not by the schema
// migration: a database without decisions stays readable by older builds.
#include <chrono>

#include "sqlite_db.h"
#include "tagmetry/review_decisions.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS review_decisions(sha256 TEXT NOT NULL, label TEXT NOT NULL, verdict INTEGER NOT NULL, "
    "score REAL, model_id INTEGER NOT NULL, image TEXT NOT NULL, caption TEXT NOT NULL, before TEXT, after TEXT, "
    "time INTEGER NOT NULL, PRIMARY KEY(sha256, label))";

constexpr const char* kColumns = "sha256, label, verdict, score, model_id, image, caption, before, after, time";

Result<bool> table_exists(const Store& store) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare(
      "SELECT 1 FROM sqlite_master WHERE type='table' AND name='review_decisions'"));
  Status s;
  bool found = q.step(&s);
  TM_RETURN_IF_ERROR(s);
  return found;
}

ReviewDecision read_row(const sql::Stmt& q) {
  ReviewDecision d;
  d.sha256 = q.text(0);
  d.label = q.text(1);
  d.verdict = q.int64(2) < 0 ? ReviewVerdict::kReject : ReviewVerdict::kAccept;
  if (!q.is_null(3)) d.score = static_cast<float>(q.real(3));
  d.model_id = q.int64(4);
  d.image = q.text(5);
  d.caption = q.text(6);
  d.before = q.optional_text(7);
  d.after = q.optional_text(8);
  d.time = q.int64(9);
  return d;
}

Result<std::vector<ReviewDecision>> select_rows(const Store& store, const std::string& where,
                                                const std::vector<std::string>& args) {
  std::vector<ReviewDecision> out;
  TM_ASSIGN_OR_RETURN(bool exists, table_exists(store));
  if (!exists) return out;
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare(std::string("SELECT ") + kColumns +
                                                      " FROM review_decisions " + where));
  for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
  Status s;
  while (q.step(&s)) out.push_back(read_row(q));
  TM_RETURN_IF_ERROR(s);
  return out;
}

}  // namespace

const char* verdict_name(ReviewVerdict verdict) { return verdict == ReviewVerdict::kAccept ? "accept" : "reject"; }

Result<ReviewVerdict> parse_verdict(std::string_view word) {
  std::string w = to_lower_ascii(trim(word));
  if (w == "accept" || w == "yes" || w == "a" || w == "y") return ReviewVerdict::kAccept;
  if (w == "reject" || w == "no" || w == "r" || w == "n") return ReviewVerdict::kReject;
  return invalid_argument("'" + std::string(word) + "' is not a review decision (accept or reject)");
}

Status put_review_decision(Store& store, const ReviewDecision& d) {
  TM_RETURN_IF_ERROR(store.db().exec(kCreate));
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare(std::string("INSERT OR REPLACE INTO review_decisions(") +
                                                      kColumns + ") VALUES(?,?,?,?,?,?,?,?,?,?)"));
  int64_t time = d.time ? d.time
                        : std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  q.bind(1, d.sha256).bind(2, d.label).bind(3, static_cast<int64_t>(d.verdict));
  if (d.score) q.bind(4, static_cast<double>(*d.score));
  else q.bind_null(4);
  q.bind(5, d.model_id).bind(6, d.image).bind(7, d.caption).bind(8, d.before).bind(9, d.after).bind(10, time);
  return q.run();
}

Status delete_review_decision(Store& store, const std::string& sha256, const std::string& label) {
  TM_ASSIGN_OR_RETURN(bool exists, table_exists(store));
  if (!exists) return {};
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare("DELETE FROM review_decisions WHERE sha256=? AND label=?"));
  return q.bind(1, sha256).bind(2, label).run();
}

Status forget_review_decisions(Store& store, const std::string& caption, const std::optional<std::string>& after) {
  TM_ASSIGN_OR_RETURN(bool exists, table_exists(store));
  if (!exists) return {};
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare(
      "DELETE FROM review_decisions WHERE caption=? AND after IS ? AND before IS NOT after"));
  return q.bind(1, caption).bind(2, after).run();
}

Result<std::optional<ReviewDecision>> find_review_decision(const Store& store, const std::string& sha256,
                                                          const std::string& label) {
  TM_ASSIGN_OR_RETURN(auto rows, select_rows(store, "WHERE sha256=? AND label=?", {sha256, label}));
  if (rows.empty()) return std::optional<ReviewDecision>();
  return std::optional<ReviewDecision>(std::move(rows.front()));
}

Result<std::vector<ReviewDecision>> review_decisions(const Store& store) {
  return select_rows(store, "ORDER BY time, rowid", {});
}

Result<std::optional<ReviewDecision>> last_review_decision(const Store& store) {
  TM_ASSIGN_OR_RETURN(auto rows, select_rows(store, "ORDER BY time DESC, rowid DESC LIMIT 1", {}));
  if (rows.empty()) return std::optional<ReviewDecision>();
  return std::optional<ReviewDecision>(std::move(rows.front()));
}

Result<DecisionsByImage> review_decisions_by_image(const Store& store) {
  TM_ASSIGN_OR_RETURN(auto rows, review_decisions(store));
  DecisionsByImage out;
  for (auto& d : rows) out[d.sha256].emplace_back(d.label, d.verdict);
  return out;
}

Result<std::optional<ImageRecord>> stored_image(const Store& store, const std::string& relpath) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store.db().prepare(
      "SELECT relpath, sha256, size, mtime_ns, width, height FROM images WHERE relpath=?"));
  q.bind(1, relpath);
  Status s;
  if (!q.step(&s)) {
    TM_RETURN_IF_ERROR(s);
    return std::optional<ImageRecord>();
  }
  ImageRecord r;
  r.relpath = q.text(0);
  r.sha256 = q.text(1);
  r.size = q.int64(2);
  r.mtime_ns = q.int64(3);
  r.width = static_cast<int>(q.int64(4));
  r.height = static_cast<int>(q.int64(5));
  return std::optional<ImageRecord>(std::move(r));
}

}  // namespace tagmetry
