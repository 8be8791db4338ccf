/* summary.json from summary.csv: numbers stay numbers, empty cells and non-finite values
 * become null, the run name is a JSON string with its specials escaped. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "run/summary.h"

Test(summary, json_from_csv)
{
  char *j = chs_summary_json("run,end_day,fill_6wk,days_to_90pct_fill,x\n"
                             "a\"b\\\\c,730,0.25,,inf\n");
  cr_assert_not_null(j);
  cr_expect(strstr(j, "\"run\": \"a\\\"b\\\\\\\\c\""), "run name not escaped:\n%s", j);
  cr_expect(strstr(j, "\"end_day\": 730,"), "%s", j);
  cr_expect(strstr(j, "\"fill_6wk\": 0.25,"), "%s", j);
  cr_expect(strstr(j, "\"days_to_90pct_fill\": null,"), "%s", j);
  cr_expect(strstr(j, "\"x\": null\n}"), "%s", j);
  cr_expect_eq(j[0], '{');
  free(j);
  cr_expect_null(chs_summary_json("no newline"));
  cr_expect_null(chs_summary_json(NULL));
}
