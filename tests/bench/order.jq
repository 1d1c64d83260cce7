# The `Order` entity of mappings/clarity_xero.map in jq, for `make bench`.
# jq holds numbers as binary doubles, so its sums are not exact: the figures
# are what this is for.  A record that fails goes to standard error as
# ["DEBUG:", {"dead_letter": reason, "key": orderId}] (jq's debug).
def order_status: {"pending": "DRAFT", "processing": "AUTHORISED", "fulfilled": "AUTHORISED",
  "completed": "AUTHORISED", "cancelled": "VOIDED"};
def revenue: {"web": "200", "mobile": "200", "marketplace": "210", "pos": "220"};
def tax_type: {"standard": "OUTPUT", "reduced": "OUTPUT2", "zero": "ZERORATEDOUTPUT",
  "exempt": "EXEMPTOUTPUT"};
def channel: {"web": "Online", "mobile": "App", "marketplace": "Marketplace", "pos": "Retail"};
def campaign: {"black-friday": "Black Friday", "newsletter": "Newsletter", "social": "Social"};
def tracking($a): [
  {Name: "Sales Channel", Option: (channel[$a.channel // ""] // "Other")},
  {Name: "Campaign", Option: (campaign[$a.campaign // ""] // "None")}];
def dead($why): {dead_letter: $why, key: .orderId} | debug | empty;
def abs: if . < 0 then -. else . end;

if .status == "draft" or .status == "cancelled" then empty
elif .customerId == null then dead("missing required field customerId")
elif order_status[.status // ""] == null then dead("unknown order status")
elif ((.lineItems // []) | length) == 0 then dead("order has no line items")
elif ([.lineItems[] | tax_type[.taxClass // "standard"]] | any(. == null))
  then dead("no Xero tax type for tax class")
elif (((.lineItems | map(.quantity * .unitPrice) | add) + (.shippingAmount // 0)
      - (.discountAmount // 0) + (.taxAmount // 0) - .totalAmount) | abs) > 0.01
  then dead("order total does not add up")
else
  (.attributes // {}) as $a
  | (revenue[$a.channel // ""] // "200") as $acct
  | {
      Type: "ACCREC",
      Contact: {ContactID: .customerId},
      Date: .orderDate[0:10],
      DueDate: .orderDate[0:10],
      LineAmountTypes: "Exclusive",
      Reference: .orderId,
      CurrencyCode: (.currency | ascii_upcase),
      Status: order_status[.status],
      LineItems: (
        [.lineItems[] | {ItemCode: .sku, Description: .name, Quantity: .quantity,
          UnitAmount: .unitPrice, AccountCode: $acct,
          TaxType: tax_type[.taxClass // "standard"], TaxAmount: (.tax // 0),
          Tracking: tracking($a)}
          | with_entries(select(.value != null))]
        + (if (.discountAmount // 0) > 0 then
            [{Description: ("Discount " + (.couponCode // "")), Quantity: 1,
              UnitAmount: (0 - .discountAmount), AccountCode: $acct, TaxType: "NONE",
              Tracking: tracking($a)}] else [] end)
        + (if (.shippingAmount // 0) > 0 then
            [{Description: "Shipping", Quantity: 1, UnitAmount: .shippingAmount,
              AccountCode: "260", TaxType: "NONE", Tracking: tracking($a)}] else [] end))
    }
end
