#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm {

TEST(Csv, ParsesQuotesCrlfAndBom) {
  const std::string text =
      "\xEF\xBB\xBF"
      "file,onset_s,offset_s,label\r\n"
      "\"a,b.edf\",1.5,2.5,\"say \"\"hi\"\"\"\r\n"
      "\r\n"
      "c.edf,3,4,\"multi\nline\"\n";
  CsvTable t = parse_csv(text);
  ASSERT_EQ(t.header, (std::vector<std::string>{"file", "onset_s", "offset_s", "label"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "a,b.edf");
  EXPECT_EQ(t.rows[0][3], "say \"hi\"");
  EXPECT_EQ(t.rows[1][3], "multi\nline");
  EXPECT_EQ(t.column(" Onset_S "), 1u);
}

TEST(Csv, ShortRowsArePaddedAndTabsWork) {
  CsvTable t = parse_csv("a\tb\tc\n1\t2\n", '\t');
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2", ""}));
}

TEST(Csv, MissingColumnNamesFileAndColumns) {
  CsvTable t = parse_csv("file,label\nx,y\n");
  t.source = "labels.csv";
  EXPECT_THAT([&] { t.column("onset_s"); },
              ThrowsMessage<DataError>(HasSubstr("labels.csv: missing column 'onset_s' (columns: file, label)")));
}

TEST(Csv, EscapeRoundTrip) {
  const std::vector<std::string> fields{"plain", "with,comma", "with \"quote\"", "line\nbreak", ""};
  CsvTable t = parse_csv(csv_line(fields), ',', /*has_header=*/false);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], fields);
}

TEST(Csv, NumberParsingNamesTheField) {
  EXPECT_DOUBLE_EQ(parse_double(" 12.5 ", "x"), 12.5);
  EXPECT_EQ(parse_int("42", "x"), 42);
  EXPECT_THAT([] { parse_double("12s", "labels.csv row 3 onset_s"); },
              ThrowsMessage<DataError>(HasSubstr("labels.csv row 3 onset_s: expected a number, got '12s'")));
  EXPECT_THAT([] { parse_int("4.5", "n"); }, ThrowsMessage<DataError>(HasSubstr("n: expected an integer, got '4.5'")));
}

}  // namespace efm
