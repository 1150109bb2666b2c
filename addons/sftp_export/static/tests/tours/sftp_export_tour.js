import { registry } from "@web/core/registry";

function screenshot(name) {
    return async () => {
        console.log(`screenshot:sftp_export/${name}`);
        await new Promise((resolve) => setTimeout(resolve, 800));
    };
}

// The bookkeeper opens the export history and sends a delivered file again.
registry.category("web_tour.tours").add("sftp_export_history_tour", {
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row .o_field_widget[name=state]",
            run: screenshot("export_history"),
        },
        {
            trigger: ".o_list_view .o_data_row button[name=action_resend]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(opnieuw verstuurd)",
        },
        {
            trigger: ".o_list_view .o_data_row .o_field_widget[name=trigger]:contains(Opnieuw verstuurd)",
        },
        {
            trigger: ".o_list_view .o_data_row .o_field_widget[name=state]:contains(Klaar om te versturen)",
        },
    ],
});

// The automatic export as the bookkeeper sees it: schedule, server, datasets.
registry.category("web_tour.tours").add("sftp_export_schedule_tour", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
            run: screenshot("automatic_export"),
        },
        {
            trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row td[name=filter_summary]",
        },
    ],
});
