"""Orders and their lines: totals, status flow, numbering (C4).

Money rule (the server computes every amount; clients never send prices or sums):

- line_total = unit_price x quantity, exact; unit_price is the menu price copied when the line
  is added, so a later menu change never rewrites an open order.
- subtotal = the sum of the line totals of every line that is not voided.
- discount = `discount_amount`, or round_money(subtotal x discount_percent / 100) when a percent
  is set; never above the subtotal.
- tax = percent_of(subtotal - discount, tax_rate), with the business's tax rate copied onto the
  order when it is created.
- total = subtotal - discount + tax + tip_amount.

Every amount is rounded once, half up to the currency's minor unit (`tableside.kit.money`), and
all of them are recomputed from the lines on every change, under the order's row lock.
"""
