// predict's output files, streamed (eval/inference/detail/predict_outputs.h).
#include "eval/inference/detail/predict_outputs.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/eval/metrics/metric_set.h"

namespace efm::eval::detail {

void SecondAggregator::add(double a_s, double b_s, double p) {
  const auto first = static_cast<int64_t>(std::ceil(a_s - 1e-9));
  const auto last = static_cast<int64_t>(std::floor(b_s + 1e-9));  // seconds [first, last) are fully covered
  for (int64_t j = first; j < last; ++j) {
    auto& s = pending_[j];
    s.first += p;
    s.second += 1;
  }
}

void SecondAggregator::release_before(double t_s) {
  while (!pending_.empty() && static_cast<double>(pending_.begin()->first) + 1e-9 < t_s) {
    const auto it = pending_.begin();
    sink_(onset_s_ + static_cast<double>(it->first), it->second.first / static_cast<double>(it->second.second),
          it->second.second);
    pending_.erase(it);
  }
}

void SecondAggregator::finish() {
  release_before(std::numeric_limits<double>::infinity());
}

namespace {

ProbabilityEventOptions event_options(const PredictConfig& pc) {
  ProbabilityEventOptions po;
  po.threshold = pc.threshold;
  po.smoothing_steps = pc.smoothing_steps;
  po.merge_gap_s = pc.merge_gap_s;
  po.min_duration_s = pc.min_duration_s;
  return po;
}

}  // namespace

PredictionWriter::PredictionWriter(PredictResult& result, const PredictConfig& config)
    : result_(result),
      events_(event_options(config)),
      prob_tmp_(temp_sibling(result.probabilities_csv)),
      prob_(prob_tmp_),
      edf_(result.events_edf, io::EdfWriterOptions{},
           {io::EdfSignalSpec{"P(seizure)", 1, 0.0, 1.0, "", 0, 0, "", ""}}) {
  EFM_CHECK_DATA(prob_.good(), "cannot write {}", prob_tmp_.string());
  prob_ << "time_s,probability,n_windows\n";
}

void PredictionWriter::second(double t, double p, int64_t n) {
  prob_ << format_metric_value(t) << ',' << format_metric_value(p) << ',' << n << '\n';
  ++result_.seconds;
  const auto sec = static_cast<int64_t>(std::floor(t + 1e-9));
  if (sec >= edf_next_) {
    edf_fill_to(sec);
    edf_.write_record({&p});
    ++edf_next_;
  }
  // Seconds no window covered count as 0 for the event detector.
  if (!detector_) {
    detector_.emplace(1.0, events_, t);
  } else {
    for (double gap = last_t_ + 1; gap < t - 0.5; gap += 1) take(detector_->push(0.0));
  }
  take(detector_->push(p));
  last_t_ = t;
}

void PredictionWriter::end_segment() {
  if (detector_) take(detector_->finish());
  detector_.reset();
}

void PredictionWriter::take(std::vector<Event> events) {
  for (auto& e : events) {
    e.end_s = std::min(e.end_s, result_.duration_s);
    if (e.end_s > e.start_s) result_.events.push_back(e);
  }
}

void PredictionWriter::edf_fill_to(int64_t second) {
  const double zero = 0.0;
  for (; edf_next_ < second; ++edf_next_) edf_.write_record({&zero});
}

void PredictionWriter::finish() {
  prob_.close();
  EFM_CHECK_DATA(prob_.good() || !prob_.bad(), "writing {} failed", prob_tmp_.string());
  atomic_rename(prob_tmp_, result_.probabilities_csv);
  edf_fill_to(static_cast<int64_t>(std::ceil(result_.duration_s - 1e-9)));
  for (const auto& e : result_.events) edf_.add_annotation({e.start_s, e.duration_s(), "seizure (predicted)"});
  edf_.close();
  write_events_csv();
}

void PredictionWriter::write_events_csv() const {
  // Max probability per event from the probabilities file: one pass, events are sorted.
  const auto& events = result_.events;
  std::vector<double> max_p(events.size(), 0.0);
  {
    std::ifstream in(result_.probabilities_csv);
    std::string line;
    std::getline(in, line);
    size_t e = 0;
    while (std::getline(in, line) && e < events.size()) {
      const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
      const double t = std::stod(line.substr(0, c1)), p = std::stod(line.substr(c1 + 1, c2 - c1 - 1));
      while (e < events.size() && t >= events[e].end_s - 1e-9) ++e;
      if (e < events.size() && t + 1e-9 >= events[e].start_s) max_p[e] = std::max(max_p[e], p);
    }
  }
  std::string ev = "onset_s,offset_s,duration_s,max_probability,label\n";
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    ev += fmt::format("{},{},{},{},seizure (predicted)\n", format_metric_value(e.start_s), format_metric_value(e.end_s),
                      format_metric_value(e.duration_s()), format_metric_value(max_p[i]));
  }
  atomic_write_file(result_.events_csv, ev);
}

}  // namespace efm::eval::detail
