import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

function screenshot(name) {
    return async () => {
        console.log(`screenshot:bank_mt940_reconcile/${name}`);
        await new Promise((resolve) => setTimeout(resolve, 800));
    };
}

// The bank's file, as the bookkeeper downloaded it: the test leaves it as an
// attachment of the invoice it pays, named below.
const BANK_FILE = "afschrift-tour.940";

async function chooseBankFile() {
    const [attachment] = await rpc("/web/dataset/call_kw/ir.attachment/search_read", {
        model: "ir.attachment",
        method: "search_read",
        args: [[["name", "=", BANK_FILE]], ["datas"]],
        kwargs: { limit: 1 },
    });
    const bytes = Uint8Array.from(atob(attachment.datas), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], BANK_FILE, { type: "text/plain" }));
    const input = document.querySelector(
        ".modal .o_field_many2many_binary input[type=file]"
    );
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

// The bookkeeper uploads the bank's MT940 file, processes it, and opens the
// invoice it paid.
registry.category("web_tour.tours").add("bank_mt940_reconcile_tour", {
    steps: () => [
        {
            trigger: ".o_list_view button.o_mt940_upload",
            run: "click",
        },
        {
            // The file input is hidden behind the field's button.
            trigger: ".modal .o_field_many2many_binary input[type=file]:not(:visible)",
            run: chooseBankFile,
        },
        {
            trigger: `.modal .o_field_many2many_binary .o_attachment:contains(${BANK_FILE})`,
        },
        {
            trigger: ".modal button[name=action_upload]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(geüpload)",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Wachten)",
        },
        {
            trigger: ".o_form_view .o_form_statusbar button[name=action_process]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Verwerkt)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=log_ids] .o_data_row:contains(Betaald)",
            run: screenshot("file_with_log"),
        },
        {
            trigger: ".o_form_view button[name=action_open_invoices]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=name]",
            run: "click",
        },
        {
            // Odoo's own Dutch ("Betaald") is not loaded under Odoo's test runner.
            trigger: ".o_form_view .ribbon:contains(Betaald), .o_form_view .ribbon:contains(Paid)",
            run: screenshot("paid_invoice"),
        },
    ],
});
