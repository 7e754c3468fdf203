// SPDX-License-Identifier: GPL-2.0
/*
 * rig-kvm-pin: hold, for the whole boot of a test guest, the KVM objects
 * that keep KVM's per-vCPU static keys enabled, so that the tests' own VMs
 * coming and going patch no kernel text (x86_64; elsewhere it pins nothing).
 *
 * x86 KVM counts vCPUs whose local APIC is software-disabled
 * (apic_sw_disabled: every vCPU from its creation until its guest enables
 * the APIC), hardware-disabled (apic_hw_disabled) and vCPUs without an
 * in-kernel APIC (kvm_has_noapic_vcpu) in static keys.  Each test's first
 * vCPU takes apic_sw_disabled from 0 to 1, and the test's VM going away
 * takes it back to 0 a second later (a deferred decrement): both rewrite
 * the key's call sites with text_poke_bp(), on every test.  Under QEMU's
 * TCG, a CPU that runs code while another rewrites it sometimes runs
 * stale code (the rig's guests crashed with "Oops: int3" and with a jump
 * into a stack, as a test set up), so the rig keeps each key above 0:
 *
 *   VM 1: an in-kernel irqchip and one vCPU whose APIC is hardware-disabled
 *         (MSR_IA32_APICBASE without its enable bit) and, never having run,
 *         software-disabled: apic_hw_disabled and apic_sw_disabled;
 *   VM 2: no irqchip, one vCPU: kvm_has_noapic_vcpu.
 *
 * A held key only selects KVM's slower check of each vCPU's own APIC state;
 * what KVM does for the tests' VMs does not change.
 *
 * The parent prints one "# env:" line for the run's record and exits; a
 * child holds the file descriptors until the guest powers off.  Exit
 * status 0 also when there is nothing to pin (no /dev/kvm: the line says
 * so); 1 if KVM refused one of the ioctls, naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#ifdef __x86_64__
#define MSR_IA32_APICBASE		0x1b
#define APIC_DEFAULT_PHYS_BASE		0xfee00000ULL
#define MSR_IA32_APICBASE_BSP		(1ULL << 8)

static int kvm_ioctl(int fd, unsigned long req, unsigned long arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0) {
		fprintf(stderr, "rig-kvm-pin: %s: %s\n", what, strerror(errno));
		exit(1);
	}
	return r;
}

/* Create what holds the keys; false if there is nothing to hold here. */
static bool pin_keys(int kvm)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = {
		.hdr.nmsrs = 1,
		.entry.index = MSR_IA32_APICBASE,
		.entry.data = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_BSP,
	};
	int vm, vcpu;

	vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	kvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU (irqchip)");
	if (kvm_ioctl(vcpu, KVM_SET_MSRS, (unsigned long)&msrs, "KVM_SET_MSRS") != 1) {
		fprintf(stderr, "rig-kvm-pin: KVM_SET_MSRS: MSR_IA32_APICBASE not set\n");
		exit(1);
	}

	vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	kvm_ioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU (no irqchip)");
	printf("# env: pinned_kvm_keys=apic_hw_disabled,apic_sw_disabled,kvm_has_noapic_vcpu\n");
	return true;
}
#else
static bool pin_keys(int kvm)
{
	(void)kvm;
	printf("# env: pinned_kvm_keys=none (none known to flip per VM on this arch)\n");
	return false;
}
#endif

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);
	pid_t pid;

	if (kvm < 0) {
		printf("# env: pinned_kvm_keys=none (/dev/kvm: %s)\n", strerror(errno));
		return 0;
	}
	if (!pin_keys(kvm))
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("rig-kvm-pin: fork");
		return 1;
	}
	if (pid)
		return 0;
	setsid();
	for (;;)
		pause();
}
