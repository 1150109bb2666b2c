/** The bookkeeper's path: the dashboard, then the Open, Report and Errors tabs. */
import { registry } from "@web/core/registry";

function screenshot(name) {
    return async () => {
        console.log(`screenshot:ccv_moneybird_sync/${name}`);
        await new Promise((resolve) => setTimeout(resolve, 800));
    };
}

function backToDashboard() {
    return {
        trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item:first-child a",
        run: "click",
    };
}

registry.category("web_tour.tours").add("ccv_moneybird_sync_tour", {
    steps: () => [
        {
            trigger: ".o_kanban_record:contains(Demowebwinkel) button[name=action_open_payments]",
            run: screenshot("dashboard"),
        },
        {
            trigger: ".o_kanban_record:contains(Demowebwinkel) button[name=action_open_payments]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(2026-0141)",
            run: screenshot("open"),
        },
        backToDashboard(),
        {
            trigger: ".o_kanban_record:contains(Demowebwinkel) button[name=action_report_payments]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(2026-0131)",
            run: screenshot("report"),
        },
        backToDashboard(),
        {
            trigger: ".o_kanban_record:contains(Demowebwinkel) button[name=action_error_payments]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(2026-0140)",
            run: screenshot("errors"),
        },
        {
            trigger: ".o_data_row:contains(2026-0140) button[name=action_more_info]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=details_text]:contains(121)",
            run: screenshot("more_info"),
        },
        {
            // the dialog shows the details as sentences, no JSON
            trigger: ".modal .o_field_widget[name=details_text]:not(:contains({))",
        },
    ],
});
