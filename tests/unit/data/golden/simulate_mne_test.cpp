#include <gtest/gtest.h>
TEST(SimulateMne, Placeholder) {}
