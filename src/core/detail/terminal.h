#pragma once
// Coordination between the progress bar's status line and log lines on a terminal: a log line first clears the
// status line, then the status line is redrawn below it.
#include <string>

namespace efm::detail {

bool stderr_is_terminal();
/// Sets (or, with an empty string, removes) the status line and draws it.
void terminal_set_status(const std::string& line);
void terminal_clear_status();
void terminal_redraw_status();

}  // namespace efm::detail
